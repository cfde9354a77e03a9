export {
  BRAZIL_DDDS,
  cnpjCheckDigits,
  cpfCheckDigits,
  isValidCnpj,
  isValidCpf,
  isValidPhoneBr,
} from "./check-digits.ts";
export { createFf1 } from "./ff1.ts";
export { CNPJ_DOMAIN, CPF_DOMAIN, createPiiMasker, EMAIL_DOMAIN, PHONE_DOMAIN } from "./masker.ts";
export { FIRST_NAMES, LAST_NAMES } from "./names.ts";
export type { Ff1 } from "./ff1.ts";
export type { PiiMasker, PiiMaskerOptions } from "./masker.ts";
