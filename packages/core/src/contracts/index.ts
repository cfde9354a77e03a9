export { pae } from "./dsse.ts";
export { assertRowContract, contractFields, isRowValid, validateBatchContracts } from "./check.ts";
export {
  CEP_PATTERN,
  CNPJ_PATTERN,
  CPF_PATTERN,
  DATE_PATTERN,
  EMAIL_PATTERN,
  ENTITY_CONTRACTS,
  entityJsonSchema,
  INSTANT_PATTERN,
  MONEY_PATTERN,
  NON_NEGATIVE_MONEY_PATTERN,
  PHONE_PATTERN,
  PII_FIELDS,
  RATE_PATTERN,
  UFS,
  UUID_PATTERN,
} from "./entities.ts";
