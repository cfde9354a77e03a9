// Runs `tokenCommand` like the CLI's main does, so the tests do not depend on its registration in main.ts.
import { tokenCommand } from "../../src/commands/token.ts";
import { reportFailure } from "../../src/io.ts";

try {
  process.exitCode = await tokenCommand.run(process.argv.slice(2));
} catch (error) {
  process.exitCode = reportFailure(error);
}
