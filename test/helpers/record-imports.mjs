// Preloaded with `--import` (NODE_OPTIONS): records the URL of every module the process resolves,
// one per line, in the file named by RECORD_IMPORTS. Node runs these hooks off the main thread.
import { register } from "node:module";

register("./record-imports-hooks.mjs", import.meta.url, { data: process.env.RECORD_IMPORTS });
