import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { MessageChannel, type MessagePort, Worker } from "node:worker_threads";

/**
 * Starts one of the collector's threads (`source`, `built`: see workerEntry) with `data` and the
 * thread's end of a new channel (as `port`) in its `workerData`; returns the thread and this end.
 */
export function startThread(
  caller: string,
  source: string,
  built: string,
  data: Record<string, unknown>,
): { worker: Worker; port: MessagePort } {
  const { port1, port2 } = new MessageChannel();
  const thread = workerEntry(caller, source, built);
  const worker = new Worker(thread.entry, {
    eval: thread.eval,
    execArgv: thread.execArgv,
    workerData: { ...data, port: port2 },
    transferList: [port2],
  });
  return { worker, port: port1 };
}

/**
 * Ends a thread `startThread` started: sends it `message` (its close) and resolves once it has
 * exited, the thread and its port referenced meanwhile so that the process waits for it. Resolves
 * at once when there is no thread.
 */
export function endThread(worker: Worker | null, port: MessagePort | null, message: unknown): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!worker || !port) return resolve();
    worker.once("exit", () => resolve());
    worker.ref();
    port.ref();
    port.postMessage(message);
  });
}

/** How to start one of the collector's threads: its entry, and the flags it runs with. */
interface WorkerEntry {
  entry: URL | string;
  eval: boolean;
  execArgv: string[];
}

/**
 * The entry of a thread whose code is `source` (a TypeScript file, relative to `caller`, the
 * calling module's `import.meta.url`). Built, it is `built`, an entry of its own next to the bundle
 * that holds the caller (tsup.config.ts). From source (tsx, vitest) the TypeScript file is imported
 * after registering tsx's loader inside the thread (Node 20 does not apply `--import` hooks to
 * workers), with the source condition so it loads the same protocol code as this thread.
 */
function workerEntry(caller: string, source: string, built: string): WorkerEntry {
  if (!caller.endsWith(".ts"))
    return { entry: new URL(built, caller), eval: false, execArgv: process.execArgv };
  const cjsApi = createRequire(caller).resolve("tsx/esm/api");
  const api = pathToFileURL(cjsApi.replace(/\.cjs$/, ".mjs")).href;
  const worker = new URL(source, caller).href;
  return {
    entry: `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(worker)}); });`,
    eval: true,
    execArgv: [...withoutLoaders(process.execArgv), "--conditions=@mcpsight/source"],
  };
}

/**
 * The process's flags (profiling and the like) minus module-loading ones: loaders and resolution
 * conditions of tsx or a test runner, which the thread sets up itself.
 */
function withoutLoaders(argv: string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (["--import", "--require", "-r", "--conditions", "-C", "--loader"].includes(arg)) i++;
    else if (!/^--(import|require|conditions|loader)=/.test(arg)) kept.push(arg);
  }
  return kept;
}
