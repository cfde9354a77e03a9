/** What a spawned CLI process printed and how it ended. */
export interface CliOutcome {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs `bun <entry> ...args` with only PATH, no dotenv file, and `env`, and collects its output. */
export async function runCli(
  entry: string,
  args: string[],
  env: Record<string, string> = {},
  cwd?: string,
): Promise<CliOutcome> {
  const proc = Bun.spawn(["bun", entry, ...args], {
    env: { PATH: process.env.PATH ?? "", SEMENTE_ENV_FILE: "/nonexistent/.env", ...env },
    cwd,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}
