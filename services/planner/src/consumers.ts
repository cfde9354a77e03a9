/** The planner's durable pull consumers, created on first start (an existing one is kept as it is). */
import { AckPolicy, DeliverPolicy, JetStreamApiError, type JetStreamManager } from "@nats-io/jetstream";

/** Creates `durable` on `stream` (explicit ack, 30 s ack wait, one filter subject) unless it exists. */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  durable: string,
  filter: string,
  deliver: DeliverPolicy = DeliverPolicy.New,
): Promise<void> {
  try {
    await jsm.consumers.info(stream, durable);
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== 10014) throw error;
    await jsm.consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: deliver,
      filter_subject: filter,
      ack_wait: 30_000_000_000,
    });
  }
}
