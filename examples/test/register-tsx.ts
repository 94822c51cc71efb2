// The MCP SDK's HTTP client depends on eventsource-parser, whose "source" export condition points at
// TypeScript files. Tests run with that condition (for the workspace packages), and Node loads the
// SDK outside Vite's transform, so let tsx's loader handle those files. Import this first.
import { register } from "tsx/esm/api";

register();
