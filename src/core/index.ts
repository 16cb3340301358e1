export * from "./envelope.js";
export * from "./errors.js";
export * from "./receive.js";
export * from "./signature.js";
export * from "./sink.js";
