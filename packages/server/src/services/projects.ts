import { randomBytes } from "node:crypto";
import type { Project, Storage } from "../storage/index.js";

/** `proj_` + 12 random base-32 characters; unguessable enough to act as a public write key. */
export function newProjectId(): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  const bytes = randomBytes(12);
  return `proj_${[...bytes].map((b) => alphabet[b % 32]).join("")}`;
}

export async function createProject(storage: Storage, name: string): Promise<Project> {
  return storage.createProject({ id: newProjectId(), name });
}

/** The exact code that instruments a server for this project. */
export function trackSnippet(projectId: string, collectorUrl: string): string {
  return `import { track } from "mcpsight";\n\ntrack(server, ${JSON.stringify(projectId)}, { apiBaseUrl: ${JSON.stringify(collectorUrl)} });\n`;
}

export const withSnippet = (project: Project, collectorUrl: string) => ({
  ...project,
  collectorUrl,
  snippet: trackSnippet(project.id, collectorUrl),
});
