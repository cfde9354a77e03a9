import { SementeError } from "../errors/index.ts";

const PAD2: readonly string[] = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));

/** Value of the decimal digits text[from, to), or -1 when one is not a digit (dates.ts reads with it too). */
export function digitsValue(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value;
}

/**
 * Cents of a numeric(18,2) string, `^(-?)(\d{1,16})(?:\.(\d{1,2}))?$` read by hand (this runs for
 * every stored amount re-read); undefined when the text is not one.
 */
function centsOf(text: string): number | undefined {
  const start = text.charCodeAt(0) === 45 ? 1 : 0;
  const dot = text.indexOf(".", start);
  const end = dot < 0 ? text.length : dot;
  const places = dot < 0 ? 0 : text.length - dot - 1;
  if (end - start < 1 || end - start > 16 || (dot >= 0 && (places < 1 || places > 2))) return undefined;
  const whole = digitsValue(text, start, end);
  const fraction = dot < 0 ? 0 : digitsValue(text, dot + 1, text.length);
  if (whole < 0 || fraction < 0) return undefined;
  const cents = whole * 100 + (places === 1 ? fraction * 10 : fraction);
  if (!Number.isSafeInteger(cents)) {
    throw new SementeError("VALIDATION_FAILED", "money is outside the safe integer range of cents");
  }
  return start === 1 ? -cents : cents;
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
