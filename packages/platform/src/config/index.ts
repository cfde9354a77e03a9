export { COMMON_VARS } from "./common.ts";
export { DEFAULT_COST_MODEL_PATH, loadCostModel } from "./cost-model.ts";
export { applyDotenv } from "./dotenv.ts";
export { bool, deprecatedVariables, int, loadConfig, oneOf, str, url } from "./env.ts";
export type { ConfigOf, Specs, VarSpec } from "./env.ts";
export { NATS_VARS, natsUrlList } from "./nats.ts";
export type { NatsVars } from "./nats.ts";
export { badVariables, startupFailureLine } from "./fatal.ts";
export type { BadVariable } from "./fatal.ts";
