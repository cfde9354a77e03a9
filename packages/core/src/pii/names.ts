/** Common Brazilian given names, used only for synthetic data. */
export const FIRST_NAMES: readonly string[] = (
  "Maria José Ana João Antônio Francisco Carlos Paulo Pedro Lucas Luiz Marcos Luís Gabriel Rafael " +
  "Francisca Daniel Marcelo Bruno Eduardo Antônia Adriana Juliana Márcia Fernanda Patrícia Aline " +
  "Sandra Camila Amanda Bruna Jéssica Letícia Júlia Luciana Vanessa Mariana Gabriela Vera Vitória " +
  "Larissa Cláudia Beatriz Rita Luana Sônia Renata Eliane Felipe Raimundo Rodrigo Manoel Mateus " +
  "André Fernando Fábio Leonardo Gustavo Guilherme Leandro Tiago Anderson Ricardo Márcio Jorge " +
  "Sebastião Alexandre Roberto Edson Diego Vítor Sérgio Cláudio Matheus Thiago Geraldo Adriano " +
  "Luciano Júlio Renato"
).split(" ");

/** Common Brazilian surnames, used only for synthetic data. */
export const LAST_NAMES: readonly string[] = (
  "Silva Santos Oliveira Souza Rodrigues Ferreira Alves Pereira Lima Gomes Costa Ribeiro Martins " +
  "Carvalho Almeida Lopes Soares Fernandes Vieira Barbosa Rocha Dias Nascimento Andrade Moreira " +
  "Nunes Marques Machado Mendes Freitas Cardoso Ramos Gonçalves Santana Teixeira Araújo Correia " +
  "Cavalcanti Monteiro Moura Batista Campos Pinto Castro Azevedo Borges Melo Barros Reis Duarte"
).split(" ");
