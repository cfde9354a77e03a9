export { COMMON_VARS } from "./common.ts";
export { applyDotenv } from "./dotenv.ts";
export { bool, int, loadConfig, oneOf, str, url } from "./env.ts";
export type { ConfigOf, Specs, VarSpec } from "./env.ts";
