// Runs `evidenceCommand` like the CLI's main does, so the tests do not depend on its registration in main.ts.
import { evidenceCommand } from "../../src/commands/evidence.ts";
import { reportFailure } from "../../src/io.ts";

try {
  process.exitCode = await evidenceCommand.run(process.argv.slice(2));
} catch (error) {
  process.exitCode = reportFailure(error);
}
