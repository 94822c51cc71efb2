import type { Project, Storage } from "../storage/index.js";
import { randomId } from "./passwords.js";

/** `proj_` + 12 random base-32 characters; unguessable enough to act as a public write key. */
export const newProjectId = (): string => randomId("proj_");

export async function createProject(storage: Storage, name: string): Promise<Project> {
  return storage.createProject({ id: newProjectId(), name });
}

/** The exact code that instruments a server for this project. */
export function trackSnippet(projectId: string, collectorUrl: string): string {
  return `import { track } from "mcpsight";\n\ntrack(server, ${JSON.stringify(projectId)}, { apiBaseUrl: ${JSON.stringify(collectorUrl)} });\n`;
}

export const withSnippet = <T extends Project>(project: T, collectorUrl: string) => ({
  ...project,
  collectorUrl,
  snippet: trackSnippet(project.id, collectorUrl),
});
