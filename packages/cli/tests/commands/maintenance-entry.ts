// Runs `maintenanceCommand` like the CLI's main does.
import { maintenanceCommand } from "../../src/commands/maintenance.ts";
import { reportFailure } from "../../src/io.ts";

try {
  process.exitCode = await maintenanceCommand.run(process.argv.slice(2));
} catch (error) {
  process.exitCode = reportFailure(error);
}
