import type { Project, Storage } from "../storage/index.js";
import { randomId } from "./passwords.js";
import { sdkSnippets, trackSnippet } from "./snippets.js";

/** `proj_` + 12 random base-32 characters; unguessable enough to act as a public write key. */
export const newProjectId = (): string => randomId("proj_");

export async function createProject(storage: Storage, name: string): Promise<Project> {
  return storage.createProject({ id: newProjectId(), name });
}

export const withSnippet = <T extends Project>(project: T, collectorUrl: string) => ({
  ...project,
  collectorUrl,
  snippet: trackSnippet(project.id, collectorUrl),
  snippets: sdkSnippets(project.id, collectorUrl),
});
