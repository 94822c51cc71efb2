import { createContext } from "preact";
import { useContext } from "preact/hooks";

export interface LiveSettings {
  enabled: boolean;
  intervalMs: number;
}

export const LiveContext = createContext<LiveSettings>({ enabled: true, intervalMs: 5000 });

export function useLive(): LiveSettings {
  return useContext(LiveContext);
}
