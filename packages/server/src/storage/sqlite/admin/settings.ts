import { type Db, run } from "../db.js";

/** Inserts the setting unless it exists; true when this call stored it (one statement: atomic). */
export function claimSetting(db: Db, key: string, value: string): boolean {
  return (
    run(db, "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING", key, value).changes ===
    1
  );
}
