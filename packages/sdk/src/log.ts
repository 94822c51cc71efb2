/** Where the SDK writes diagnostics. Never stdout: that would corrupt stdio transports. */
export interface Logger {
  debug(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
