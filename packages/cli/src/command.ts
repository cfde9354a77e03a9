/** One CLI verb. `run` returns the process exit code (0 on success). */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}
