import { randomUUID } from 'node:crypto';
import { Role, type Part } from '@a2a-js/sdk';
import { AgentEvent, type AgentExecutor, type ExecutionEventBus, type RequestContext } from '@a2a-js/sdk/server';
import type { VendorAgent } from './agent.ts';
import { readRequestData, refusal, type StewardReplyData } from './wire.ts';

/** A DataPart in the SDK's (A2A v1.0 proto) shape. */
export function dataPart(value: unknown): Part {
  return { content: { $case: 'data', value }, metadata: undefined, filename: '', mediaType: 'application/json' };
}

/** The Steward request in a message: exactly one DataPart carrying `{ steward, jws }`. */
export function stewardRequestOf(parts: readonly Part[]): ReturnType<typeof readRequestData> {
  const data = parts.filter((p) => p.content?.$case === 'data');
  if (data.length !== 1 || parts.length !== 1) return undefined;
  const content = data[0]?.content;
  return content?.$case === 'data' ? readRequestData(content.value) : undefined;
}

/**
 * The A2A executor of a vendor: reads the one Steward DataPart of the incoming message, lets the
 * {@link VendorAgent} answer, and publishes a single agent Message (no task: each exchange is one
 * request and one signed answer).
 */
export class VendorExecutor implements AgentExecutor {
  readonly #agent: VendorAgent;

  constructor(agent: VendorAgent) {
    this.#agent = agent;
  }

  async execute(context: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const request = stewardRequestOf(context.userMessage.parts);
    let replies: StewardReplyData[];
    try {
      replies = request
        ? await this.#agent.handle(request)
        : [refusal('bad_request', 'send exactly one DataPart `{ steward: "rfq" | "counter_offer" | "order", jws }`')];
    } catch (error) {
      // Fail closed, but still answer with the contract's shape (a Message with one refusal), not a failed task.
      this.#agent.lastError = error;
      replies = [refusal('bad_request', 'the vendor could not process this request')];
    }
    bus.publish(
      AgentEvent.message({
        messageId: randomUUID(),
        contextId: context.contextId,
        taskId: '',
        role: Role.ROLE_AGENT,
        parts: [...replies.map(dataPart), ...this.#agent.extraParts().map(dataPart)],
        metadata: undefined,
        extensions: [],
        referenceTaskIds: [],
      }),
    );
    bus.finished();
  }

  async cancelTask(): Promise<void> {
    // Nothing runs in the background: every exchange finishes within execute().
  }
}
