import { SementeError } from "../errors/index.ts";

// numeric(18,2): up to 16 integer digits; values past 2^53 cents are refused rather than rounded.
const MONEY = /^(-?)(\d{1,16})(?:\.(\d{1,2}))?$/;

/** Parses a numeric(18,2) string such as "1234.56" into integer cents (123456). */
export function parseMoney(text: string): number {
  const match = MONEY.exec(text);
  if (match === null) {
    throw new SementeError("VALIDATION_FAILED", 'money must be a decimal string with at most 2 places, e.g. "1234.56"');
  }
  const cents = Number(match[2]) * 100 + Number((match[3] ?? "").padEnd(2, "0"));
  if (!Number.isSafeInteger(cents)) {
    throw new SementeError("VALIDATION_FAILED", "money is outside the safe integer range of cents");
  }
  return match[1] === "-" ? -cents : cents;
}

/** Formats integer cents as a numeric(18,2) string: 123456 → "1234.56", -5 → "-0.05". */
export function formatMoney(cents: number): string {
  assertCents(cents, "money");
  const magnitude = Math.abs(cents);
  const whole = Math.trunc(magnitude / 100);
  const fraction = (magnitude % 100).toString().padStart(2, "0");
  return `${cents < 0 ? "-" : ""}${whole}.${fraction}`;
}

/** Throws unless `value` is a safe integer number of cents. */
export function assertCents(value: number, what: string): void {
  if (!Number.isSafeInteger(value)) {
    throw new SementeError("VALIDATION_FAILED", `${what} must be a safe integer number of cents`);
  }
}
