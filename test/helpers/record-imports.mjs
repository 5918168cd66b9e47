// Preloaded with `--import` (NODE_OPTIONS): records the URL of every module the process resolves,
// one `<pid>\t<url>` line each, in the file named by RECORD_IMPORTS (a process's children that
// inherit NODE_OPTIONS append to it too). Node runs these hooks off the main thread.
import { register } from "node:module";

register("./record-imports-hooks.mjs", import.meta.url, { data: process.env.RECORD_IMPORTS });
