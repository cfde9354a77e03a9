import { weightedTable } from "../determinism/index.ts";

/** One federative unit: its CEP range (first five digits, Correios) and a few cities, capital first. */
export interface UfInfo {
  readonly uf: string;
  /** First and last 5-digit CEP prefix of the state's main range. */
  readonly cep: readonly [number, number];
  readonly cities: readonly string[];
}

// CEP ranges from the Correios table of ranges per state (the first digit follows the postal
// region: 0–1 SP, 2 RJ/ES, 3 MG, 4 BA/SE, 5 PE/AL/PB/RN, 6 North-East and North, 7 Centre-West,
// 8 PR/SC, 9 RS). Where a state has two ranges (AM, DF, GO) only the main one is used.
export const UFS: readonly UfInfo[] = [
  { uf: "AC", cep: [69900, 69999], cities: ["Rio Branco", "Cruzeiro do Sul"] },
  { uf: "AL", cep: [57000, 57999], cities: ["Maceió", "Arapiraca"] },
  { uf: "AP", cep: [68900, 68999], cities: ["Macapá", "Santana"] },
  { uf: "AM", cep: [69000, 69299], cities: ["Manaus", "Parintins"] },
  { uf: "BA", cep: [40000, 48999], cities: ["Salvador", "Feira de Santana", "Vitória da Conquista"] },
  { uf: "CE", cep: [60000, 63999], cities: ["Fortaleza", "Caucaia", "Juazeiro do Norte"] },
  { uf: "DF", cep: [70000, 72799], cities: ["Brasília"] },
  { uf: "ES", cep: [29000, 29999], cities: ["Vitória", "Vila Velha", "Serra"] },
  { uf: "GO", cep: [73700, 76799], cities: ["Goiânia", "Aparecida de Goiânia", "Anápolis"] },
  { uf: "MA", cep: [65000, 65999], cities: ["São Luís", "Imperatriz"] },
  { uf: "MT", cep: [78000, 78899], cities: ["Cuiabá", "Várzea Grande", "Rondonópolis"] },
  { uf: "MS", cep: [79000, 79999], cities: ["Campo Grande", "Dourados"] },
  { uf: "MG", cep: [30000, 39999], cities: ["Belo Horizonte", "Uberlândia", "Contagem", "Juiz de Fora"] },
  { uf: "PA", cep: [66000, 68899], cities: ["Belém", "Ananindeua", "Santarém"] },
  { uf: "PB", cep: [58000, 58999], cities: ["João Pessoa", "Campina Grande"] },
  { uf: "PR", cep: [80000, 87999], cities: ["Curitiba", "Londrina", "Maringá"] },
  { uf: "PE", cep: [50000, 56999], cities: ["Recife", "Jaboatão dos Guararapes", "Olinda"] },
  { uf: "PI", cep: [64000, 64999], cities: ["Teresina", "Parnaíba"] },
  { uf: "RJ", cep: [20000, 28999], cities: ["Rio de Janeiro", "Niterói", "São Gonçalo", "Duque de Caxias"] },
  { uf: "RN", cep: [59000, 59999], cities: ["Natal", "Mossoró"] },
  { uf: "RS", cep: [90000, 99999], cities: ["Porto Alegre", "Caxias do Sul", "Pelotas"] },
  { uf: "RO", cep: [76800, 76999], cities: ["Porto Velho", "Ji-Paraná"] },
  { uf: "RR", cep: [69300, 69399], cities: ["Boa Vista"] },
  { uf: "SC", cep: [88000, 89999], cities: ["Florianópolis", "Joinville", "Blumenau"] },
  { uf: "SP", cep: [1000, 19999], cities: ["São Paulo", "Campinas", "Guarulhos", "Santos", "Ribeirão Preto"] },
  { uf: "SE", cep: [49000, 49999], cities: ["Aracaju", "Nossa Senhora do Socorro"] },
  { uf: "TO", cep: [77000, 77999], cities: ["Palmas", "Araguaína"] },
];

/** The 27 UF codes, as the DB CHECK lists them. */
export const UF_CODES: readonly string[] = UFS.map((u) => u.uf);

// Weights roughly proportional to population (IBGE Censo 2022, millions × 10).
const UF_WEIGHTS: Record<string, number> = {
  AC: 8,
  AL: 31,
  AP: 7,
  AM: 39,
  BA: 141,
  CE: 88,
  DF: 28,
  ES: 38,
  GO: 71,
  MA: 68,
  MT: 37,
  MS: 28,
  MG: 205,
  PA: 81,
  PB: 40,
  PR: 114,
  PE: 91,
  PI: 33,
  RJ: 160,
  RN: 33,
  RS: 109,
  RO: 16,
  RR: 6,
  SC: 76,
  SP: 444,
  SE: 22,
  TO: 15,
};

/** UF table weighted by population. */
export const UF_TABLE = weightedTable(UFS.map((u) => [u, UF_WEIGHTS[u.uf] ?? 1] as const));

export const STREET_TYPES: readonly string[] = ["Rua", "Rua", "Rua", "Avenida", "Travessa", "Alameda", "Praça"];
export const STREET_NAMES: readonly string[] = [
  "das Flores",
  "XV de Novembro",
  "Sete de Setembro",
  "Dom Pedro II",
  "Tiradentes",
  "Santos Dumont",
  "Rio Branco",
  "Getúlio Vargas",
  "Marechal Deodoro",
  "Barão do Rio Branco",
  "São João",
  "das Palmeiras",
  "Brasil",
  "Independência",
  "Castro Alves",
  "Machado de Assis",
  "José Bonifácio",
  "Princesa Isabel",
  "dos Andradas",
  "Paulista",
  "Ipiranga",
  "Amazonas",
  "Bahia",
  "Minas Gerais",
  "Monteiro Lobato",
];
export const DISTRICTS: readonly string[] = [
  "Centro",
  "Jardim América",
  "Vila Nova",
  "Boa Vista",
  "Santa Cecília",
  "Bela Vista",
  "Liberdade",
  "São José",
  "Industrial",
  "Jardim Europa",
  "Vila Mariana",
  "Parque das Nações",
  "Cidade Nova",
  "Santo Antônio",
];
export const COMPLEMENTS: readonly string[] = [
  "Apto 101",
  "Apto 202",
  "Apto 1304",
  "Casa 2",
  "Fundos",
  "Sala 12",
  "Bloco B",
  "Loja 3",
];

export const COMPANY_WORDS: readonly string[] = [
  "Alvorada",
  "Horizonte",
  "Paraná",
  "Atlântico",
  "Ipê",
  "Cerrado",
  "Aurora",
  "Vale Verde",
  "Serra Azul",
  "Boa Esperança",
  "Litoral",
  "Planalto",
  "Cruzeiro",
  "Estrela",
  "Pioneira",
  "Nova Era",
];
export const COMPANY_SECTORS: readonly string[] = [
  "Comércio de Alimentos",
  "Serviços de Limpeza",
  "Transportes",
  "Tecnologia",
  "Construções",
  "Distribuidora",
  "Materiais Elétricos",
  "Consultoria",
  "Logística",
  "Indústria Têxtil",
  "Agropecuária",
  "Papelaria",
];
export const COMPANY_SUFFIXES: readonly string[] = ["Ltda", "Ltda", "S.A.", "Eireli", "ME"];

/**
 * ISPB codes (the CNPJ root of the institution, as published in the BCB's participant list) of
 * large participants, used as counterparties: Banco do Brasil, Caixa, Bradesco, Itaú, Santander,
 * Nu Pagamentos, Banco Inter, BTG Pactual, Sicoob, Banrisul.
 */
export const COUNTERPARTY_ISPBS: readonly string[] = [
  "00000000",
  "00360305",
  "60746948",
  "60701190",
  "90400888",
  "18236120",
  "00416968",
  "30306294",
  "02038232",
  "92702067",
];
