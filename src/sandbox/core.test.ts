import { describe, expect, it } from 'vitest';
import { SandboxClock } from './clock.ts';
import { ConversationCore, CoreError, type CoreChange } from './core.ts';

function setup() {
  const core = new ConversationCore(new SandboxClock());
  const changes: CoreChange[] = [];
  core.subscribe((c) => changes.push(c));
  return { core, changes };
}

describe('ConversationCore', () => {
  it('sequences stored events per dialog from 0, across participants, and never stores chat states', () => {
    const { core, changes } = setup();
    const conv = core.createConversation({ adapter: 'liveperson', tenant: 'acc', consumerId: 'c1' });
    const consumer = { id: 'c1', role: 'CONSUMER' as const };
    expect(conv.dialogs[0]?.dialogId).toBe(conv.id);
    expect(core.publish(conv.id, conv.id, consumer, { type: 'ContentEvent', contentType: 'text/plain', message: 'a' }).sequence).toBe(0);
    core.setChatState(conv.id, conv.id, consumer, 'COMPOSING');
    const agent = core.assignAgent(conv.id);
    expect(core.assignAgent(conv.id)).toEqual(agent);
    expect(core.publish(conv.id, conv.id, agent, { type: 'ContentEvent', contentType: 'text/plain', message: 'b' }).sequence).toBe(1);
    expect(core.publish(conv.id, conv.id, consumer, { type: 'AcceptStatusEvent', status: 'READ', sequenceList: [1] }).sequence).toBe(2);
    expect(conv.dialogs[0]?.events).toHaveLength(3);
    expect(changes.map((c) => c.kind)).toEqual(['conversation', 'event', 'chatState', 'conversation', 'event', 'event']);
  });

  it('refuses accepts of unknown sequences, events on closed dialogs, and a second close', () => {
    const { core } = setup();
    const conv = core.createConversation({ adapter: 'salesforce', tenant: 'org', consumerId: 'c1', id: 'given-id' });
    const consumer = { id: 'c1', role: 'CONSUMER' as const };
    expect(() => core.publish(conv.id, conv.id, consumer, { type: 'AcceptStatusEvent', status: 'READ', sequenceList: [0] })).toThrow(CoreError);
    core.closeConversation(conv.id, 'AGENT');
    expect(conv).toMatchObject({ state: 'CLOSE', stage: 'CLOSE', closeReason: 'AGENT' });
    expect(conv.dialogs[0]).toMatchObject({ state: 'CLOSE', closedBy: 'AGENT', closedCause: 'Closed by agent' });
    expect(() => core.publish(conv.id, conv.id, consumer, { type: 'ContentEvent', contentType: 'text/plain', message: 'x' })).toThrow(/closed/);
    expect(() => core.closeConversation(conv.id, 'CONSUMER')).toThrow(/already closed/);
    expect(core.findOpenConversation('salesforce', 'org', 'c1')).toBeUndefined();
  });
});
