/** The run an evidence object belongs to, as far as its public name needs. */
export interface EvidenceOwner {
  id: string;
  tenantId: string;
  environment: string;
}

/**
 * The name of a stored evidence object that an API answer may carry: an S3 URI names the object
 * store; a filesystem location would name a server path, so only the object's place inside the
 * store is told, as `worm-fs:<environment>/<tenant>/<run id>/<file>`.
 */
export function publicEvidenceLocation(run: EvidenceOwner, location: string, storage: string): string {
  if (storage === "s3") return location;
  const file = location.split("/").pop() ?? "";
  return `worm-fs:${run.environment}/${run.tenantId}/${run.id}/${decodeURIComponent(file)}`;
}
