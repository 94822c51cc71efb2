import type { Storage } from "../../storage/index.js";

/**
 * Which projects exist, asked of storage once per project: projects are never deleted, so a
 * known one stays known. Unknown ids are asked again each time (a project may be created).
 */
export class ProjectDirectory {
  private readonly known = new Set<string>();

  constructor(private readonly storage: Storage) {}

  async exists(projectId: string): Promise<boolean> {
    if (this.known.has(projectId)) return true;
    if (!(await this.storage.getProject(projectId))) return false;
    this.known.add(projectId);
    return true;
  }
}

/** `"projectId": "…"` or `"project_id": "…"` anywhere in a JSON text (nested keys too). */
const PROJECT_KEY = /"project(?:Id|_id)"\s*:\s*"((?:[^"\\]|\\.)*)"/g;
/** How many distinct candidates are looked up before deciding that the text must be parsed. */
const MAX_CANDIDATES = 8;

/**
 * Whether a JSON body names only unknown projects, decided from its text before it is parsed
 * (parsing can take many times the text's size in memory). Returns the first unknown id when every
 * project id in the text is unknown; null when one is known or the text cannot tell (no id, an
 * escaped one, too many different ones): then the body is parsed and validated as usual. Ids
 * inside nested objects are candidates too, so this never refuses a body naming a known project.
 * A body's first id is usually its project's: then only the text up to it is read.
 */
export async function onlyUnknownProject(projects: ProjectDirectory, text: string): Promise<string | null> {
  const seen = new Set<string>();
  for (const match of text.matchAll(PROJECT_KEY)) {
    const id = match[1] as string;
    if (seen.has(id)) continue;
    if (id.includes("\\") || seen.size === MAX_CANDIDATES || (await projects.exists(id))) return null;
    seen.add(id);
  }
  return seen.values().next().value ?? null;
}
