import { complete } from "./complete.js";
import { serve } from "./serve.js";

const argv = process.argv.slice(2);
if (argv[0] === "serve") await serve(argv.slice(1));
else await complete(argv);
