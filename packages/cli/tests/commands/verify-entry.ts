// Runs `verify` and `evidence` like the CLI's main does, so the tests do not depend on main.ts.
import { evidenceCommand } from "../../src/commands/evidence.ts";
import { verifyCommand } from "../../src/commands/verify.ts";
import { reportFailure } from "../../src/io.ts";

const [verb, ...rest] = process.argv.slice(2);
try {
  const command = verb === "verify" ? verifyCommand : evidenceCommand;
  process.exitCode = await command.run(rest);
} catch (error) {
  process.exitCode = reportFailure(error);
}
