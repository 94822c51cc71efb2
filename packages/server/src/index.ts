export { type AppOptions, buildApp } from "./app.js";
export { type RunningServer, type ServerConfig, startServer } from "./server.js";
export { openStorage, type Storage, type StorageOptions } from "./storage/index.js";
