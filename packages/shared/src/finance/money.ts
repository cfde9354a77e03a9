import { SementeError } from "../errors/index.ts";

const PAD2: readonly string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));

/**
 * Cents of a numeric(18,2) string, `^(-?)(\d{1,16})(?:\.(\d{1,2}))?$` read by hand (this runs for
 * every stored amount re-read); undefined when the text is not one.
 */
function centsOf(text: string): number | undefined {
  const length = text.length;
  const negative = length > 0 && text.charCodeAt(0) === 45;
  let i = negative ? 1 : 0;
  let whole = 0;
  const start = i;
  for (; i < length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    whole = whole * 10 + c;
  }
  const digits = i - start;
  if (digits < 1 || digits > 16) return undefined;
  let fraction = 0;
  if (i < length) {
    if (text.charCodeAt(i) !== 46 || length - i - 1 < 1 || length - i - 1 > 2) return undefined;
    for (let j = i + 1; j < length; j++) {
      const c = text.charCodeAt(j) - 48;
      if (c < 0 || c > 9) return undefined;
      fraction = fraction * 10 + c;
    }
    if (length - i - 1 === 1) fraction *= 10;
  }
  const cents = whole * 100 + fraction;
  if (!Number.isSafeInteger(cents)) {
    throw new SementeError("VALIDATION_FAILED", "money is outside the safe integer range of cents");
  }
  return negative ? -cents : cents;
}

/** Parses a numeric(18,2) string such as "1234.56" into integer cents (123456). */
export function parseMoney(text: string): number {
  const cents = centsOf(text);
  if (cents === undefined) {
    throw new SementeError("VALIDATION_FAILED", 'money must be a decimal string with at most 2 places, e.g. "1234.56"');
  }
  return cents;
}

/** Formats integer cents as a numeric(18,2) string: 123456 → "1234.56", -5 → "-0.05". */
export function formatMoney(cents: number): string {
  assertCents(cents, "money");
  const magnitude = Math.abs(cents);
  const whole = Math.trunc(magnitude / 100);
  return `${cents < 0 ? "-" : ""}${whole}.${PAD2[magnitude % 100]}`;
}

/** Throws unless `value` is a safe integer number of cents. */
export function assertCents(value: number, what: string): void {
  if (!Number.isSafeInteger(value)) {
    throw new SementeError("VALIDATION_FAILED", `${what} must be a safe integer number of cents`);
  }
}
