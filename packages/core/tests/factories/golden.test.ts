import { describe, expect, test } from "bun:test";
import { datasetFingerprint, financeFingerprint, GOLDEN_DATASETS, piiFingerprint } from "./golden.ts";

/**
 * Output pinned byte for byte (see golden.ts). These values change only when generation is meant
 * to change (a new ID layout, a new field): a speed-up must leave every one of them as it is.
 */
const PINNED: Record<string, Record<string, string> | string> = {
  "dev/banco-alfa": {
    tenants: "d4e1b4bb023234ef",
    users: "8357fb23a822814f",
    consultants: "be07530746642462",
    account_categories: "8e303b862cdddb4b",
    suppliers: "fe00c0d06ba1003b",
    customers: "48463d8897d003b5",
    addresses: "638cc6bc168f5147",
    bank_accounts: "65bf5653231a0b5d",
    loans: "13b90ce43a88b4c3",
    installments: "e6d2aa943d1078a4",
    financial_transactions: "f6cf48b539c4130c",
    credit_limits: "f83c68898f7d43ca",
    contracts: "46700782a781d2cd",
    dataset: "sha256:5981159e7f9e4a325a7faed142d7646d07f0ef6bc2567babbc094efced828644",
  },
  "dev/banco-beta": {
    tenants: "2ce0a9e392ec87a2",
    users: "9aac54c571070d61",
    consultants: "3e3425a249bd265b",
    account_categories: "1c5702b64e58fd07",
    suppliers: "9a48abc99e2ca962",
    customers: "22c39b5006aa7c84",
    addresses: "1e32ba3a59521d66",
    bank_accounts: "7fce648534ca2e6b",
    loans: "3748b2432d725b94",
    installments: "206cc94ba61e4fa9",
    financial_transactions: "cc2b809b0955d406",
    credit_limits: "4bbc630c37402962",
    contracts: "5553517d477e2efb",
    dataset: "sha256:b023a91f9cfabb7a1ec66ffea1c6b1177248b9fd0002588a859e5e66d26c0b3d",
  },
  "staging/banco-alfa÷100": {
    tenants: "d4e1b4bb023234ef",
    users: "3d3956f879ef941e",
    consultants: "a2d8c1a31173b530",
    account_categories: "5fa8e9b5b6de22b0",
    suppliers: "7b3738d18b94740f",
    customers: "3cda4877a7cd1618",
    addresses: "1065a3602ddb4a1c",
    bank_accounts: "96b94614d7dd565e",
    loans: "a9615bf3bc83954c",
    installments: "3c3b0eb523114bf4",
    financial_transactions: "424a59f01228ad5b",
    credit_limits: "a953fb523feb82d9",
    contracts: "6b86b9f638f14528",
    dataset: "sha256:65b0db8c118f66b32fc85e5cf3e2785a99d0f45ce74b01bf1e286576bd328337",
  },
  "staging/banco-beta÷100": {
    tenants: "2ce0a9e392ec87a2",
    users: "fcb0e64d6fa81541",
    consultants: "afb2c79941b40454",
    account_categories: "ac502e9f2598208c",
    suppliers: "ae940e6700ac1f39",
    customers: "b11e44d5d597f1aa",
    addresses: "1a2d630b3d213102",
    bank_accounts: "183b724f1b6171c0",
    loans: "e90760a9479e4769",
    installments: "68e1ba03b12bff9f",
    financial_transactions: "80b24f57d245ad0d",
    credit_limits: "a2f250d64324cdfe",
    contracts: "ef8a80f2d8da5dc2",
    dataset: "sha256:c112a20a58c4e5a1ac224a415cc6b37df9e44d1f4030b373afa2a1429f5c2321",
  },
  "perf/banco-alfa÷1000": {
    tenants: "d4e1b4bb023234ef",
    users: "91eab33cdd87d9db",
    consultants: "a192f2811e5eeb0b",
    account_categories: "e383a5638c1e25d4",
    suppliers: "b5a969547608e4a6",
    customers: "223f5a9560265969",
    addresses: "6322e40f93581499",
    bank_accounts: "f7362b9bcbca1935",
    loans: "0fd6ee86bda50875",
    installments: "0f8dbfa2288211d0",
    financial_transactions: "0e0f406992bc9ff5",
    credit_limits: "e85d30747519755f",
    contracts: "e5da8304365d9893",
    dataset: "sha256:d96d9fdd6e4a57bd76efec2ed12a9b8d95cfccfe700061e1c4f95b39bd6cce22",
  },
  "staging/banco-alfa small, 60 months": {
    tenants: "57dfd18d9be56e96",
    users: "2df0efa81199ce82",
    consultants: "5333b5553491f5cd",
    account_categories: "f05e9aff7e0b4a0b",
    suppliers: "f9670eef50e34991",
    customers: "46bc76e3d39b6e55",
    addresses: "a1e057fe188c9e89",
    bank_accounts: "d4c76db4c9277b6a",
    loans: "3aa1d1aa094f0790",
    installments: "3f213b48d2f489c2",
    financial_transactions: "c773ae8c5352acdd",
    credit_limits: "e3641e391a36fbc8",
    contracts: "54b50111bb86bc59",
    dataset: "sha256:1a0a18fc476098f8cb8fcd2f7dfc00f27625d49e0c8cc1ee53fb242ceb0131c7",
  },
  "staging/banco-beta small, 420 months": {
    tenants: "ee0033c06043b0a6",
    users: "463f7afd8c2b59a2",
    consultants: "e6a268ba19ea8132",
    account_categories: "ed169b6aff507313",
    suppliers: "89a980adac178586",
    customers: "8ff6b07dfaccbab1",
    addresses: "0f1b1226bb1b1e39",
    bank_accounts: "c668e11102c2410b",
    loans: "0dc948cbf76513c7",
    installments: "2327a543327ae073",
    financial_transactions: "bf64714afa08e924",
    credit_limits: "f4c7a3738f96afdb",
    contracts: "9041e89bf3eac103",
    dataset: "sha256:618e3a3c9c9da4b5a82ebffe377234b17f077a216d9663886d00193510370ddc",
  },
  finance: "87a227c2cf162664818bd390adbacd3eac2390a4d04a3aac79047d5d0cb3c86b",
  pii: "02ce8045de046bb59162d7b98a4b0d2c63896b190b5b7d08d76e83d1848bb24c",
};

// Whole datasets are generated: generous timeouts for a machine shared with other test suites.
const TIMEOUT_MS = 120_000;

describe("factories - golden output", () => {
  for (const [name, manifest] of Object.entries(GOLDEN_DATASETS)) {
    test(
      `every row and digest of ${name} is unchanged`,
      () => {
        expect(datasetFingerprint(manifest())).toEqual(PINNED[name] as Record<string, string>);
      },
      TIMEOUT_MS,
    );
  }

  test(
    "the finance routine's loans over a grid of terms, rates and dates are unchanged",
    () => {
      expect(financeFingerprint()).toBe(PINNED.finance as string);
    },
    TIMEOUT_MS,
  );

  test(
    "every PII masker field over 40,000 values is unchanged",
    () => {
      expect(piiFingerprint()).toBe(PINNED.pii as string);
    },
    TIMEOUT_MS,
  );
});
