import { SementeError } from "../errors/index.ts";
import { toEpochDay, toIsoDate } from "./dates.ts";
import type { DateInput, IofRateEntry } from "./types.ts";

const BASE =
  "Decreto 6.306/2007 (RIOF) art. 7º, I: PJ 0,0041 %/dia, PF 0,0082 %/dia; adicional 0,38 % (§ 15, Decreto 6.339/2008)";

/**
 * IOF on loans (*IOF-Crédito*, Decreto 6.306/2007 art. 7º, I), general regime, by contract date.
 * The daily rate applies to each amortized principal for the days from contract to its due date,
 * capped at 365 days; the additional flat rate applies once to the principal (Decreto 6.339/2008).
 *
 * - until 2020-12-31: not modelled (2020 zero-rate decrees, Decreto 10.305/2020 and extensions).
 * - 2021-09-20..2021-12-31: Decreto 10.797/2021 (art. 7º § 22) PF 0,01118 %, PJ 0,00559 % a day.
 * - from 2025-05-23: Decreto 12.466/2025 (DOU extra of 22/05 night; 23/05 taken as first full day)
 *   PJ 0,0082 % a day and additional 0,95 %. PF unchanged.
 * - from 2025-06-11: Decreto 12.499/2025 replaced it: PJ 0,0082 % a day, additional back to 0,38 %.
 * - from 2025-06-27: Decreto Legislativo 176/2025 (DOU 27/06) suspended the 2025 decrees and
 *   restored the earlier RIOF wording; the STF injunction of 04/07 (ADC 96, ADIs 7827/7839)
 *   kept the higher rates off, and the decision of 18/07 ruled they do not apply retroactively.
 * - from 2025-07-16: STF (ADC 96) restored Decreto 12.499/2025 (except *risco sacado*):
 *   PF 0,0082 % + 0,38 %, PJ 0,0082 % + 0,38 % — the rates in force at the end of 2025.
 * Simples Nacional/MEI reduced rates (0,00137 % then 0,00274 % a day up to R$ 30 000) are not modelled.
 */
export const IOF_CREDIT_RATES: readonly IofRateEntry[] = [
  {
    from: "2021-01-01",
    dailyPF: "0.000082",
    dailyPJ: "0.000041",
    additionalPF: "0.0038",
    additionalPJ: "0.0038",
    basis: BASE,
  },
  {
    from: "2021-09-20",
    dailyPF: "0.0001118",
    dailyPJ: "0.0000559",
    additionalPF: "0.0038",
    additionalPJ: "0.0038",
    basis: "Decreto 10.797/2021 (art. 7º § 22, fatos geradores de 20/09/2021 a 31/12/2021)",
  },
  {
    from: "2022-01-01",
    dailyPF: "0.000082",
    dailyPJ: "0.000041",
    additionalPF: "0.0038",
    additionalPJ: "0.0038",
    basis: BASE,
  },
  {
    from: "2025-05-23",
    dailyPF: "0.000082",
    dailyPJ: "0.000082",
    additionalPF: "0.0038",
    additionalPJ: "0.0095",
    basis: "Decreto 12.466/2025 (PJ 0,0082 %/dia, adicional PJ 0,95 %)",
  },
  {
    from: "2025-06-11",
    dailyPF: "0.000082",
    dailyPJ: "0.000082",
    additionalPF: "0.0038",
    additionalPJ: "0.0038",
    basis: "Decreto 12.499/2025 (PJ 0,0082 %/dia, adicional 0,38 %)",
  },
  {
    from: "2025-06-27",
    dailyPF: "0.000082",
    dailyPJ: "0.000041",
    additionalPF: "0.0038",
    additionalPJ: "0.0038",
    basis:
      "Decreto Legislativo 176/2025 sustou os Decretos 12.466, 12.467 e 12.499/2025; STF ADC 96 (04/07 e 18/07/2025)",
  },
  {
    from: "2025-07-16",
    dailyPF: "0.000082",
    dailyPJ: "0.000082",
    additionalPF: "0.0038",
    additionalPJ: "0.0038",
    basis: "Decreto 12.499/2025 restabelecido pelo STF (ADC 96, 16/07/2025)",
  },
];

const STARTS = IOF_CREDIT_RATES.map((entry) => toEpochDay(entry.from));

/** The IOF-Crédito rate entry in force on a contract date; earlier than the table → VALIDATION_FAILED. */
export function iofRatesOn(contractedOn: DateInput): IofRateEntry {
  const day = toEpochDay(contractedOn);
  for (let index = STARTS.length - 1; index >= 0; index -= 1) {
    if (day >= STARTS[index]!) return IOF_CREDIT_RATES[index]!;
  }
  throw new SementeError(
    "VALIDATION_FAILED",
    `no IOF rate table for contracts on ${toIsoDate(day)} (table starts ${IOF_CREDIT_RATES[0]!.from})`,
  );
}
