/**
 * Salesforce-specific flows (contract: ../shared/protocols/salesforce.md): a cut event stream
 * resumed from Last-Event-Id, a send refused with 417 after the messaging session ended, and a
 * 401 that costs the guest identity.
 */
import { callsSince } from './support/sandbox-client.ts';
import { chatDialog, expect, sendMessage, startConversation, test, widgetStatus } from './support/fixtures.ts';

test.describe('salesforce', () => {
  test('the stream is cut mid-conversation: every agent message sent while it was down appears exactly once', async ({ page, sandbox, hostPage }) => {
    const conversation = await startConversation(page, sandbox, hostPage('salesforce'));
    const before = await sandbox.calls();
    // Keep it down for two reconnect attempts while the agent goes on writing.
    await sandbox.fault({ call: 'sf.sse.connect', status: 503, times: 2 });
    await sandbox.drop({ adapter: 'salesforce' });
    await expect.poll(() => widgetStatus(page)).toBe('reconnecting');
    const written = ['First while you were away', 'Second while you were away', 'Third while you were away'];
    for (const text of written) await sandbox.agentSay(conversation.id, text);

    for (const text of written) await expect(chatDialog(page).getByText(text, { exact: true })).toHaveCount(1);
    await expect.poll(() => widgetStatus(page)).toBe('online');
    expect(callsSince(before, await sandbox.calls())['sf.sse.connect']).toBeGreaterThanOrEqual(3);
    // Nothing arrives twice later either (replay after the resume, history merge).
    await page.waitForTimeout(1_000);
    for (const text of [...written, 'Hi! Happy to help. What is your order number?']) {
      await expect(chatDialog(page).getByText(text, { exact: true })).toHaveCount(1);
    }
  });

  test('a send refused with 417 after the session ended is delivered once with a new messaging session', async ({ page, sandbox, hostPage }) => {
    const conversation = await startConversation(page, sandbox, hostPage('salesforce'));
    await sandbox.endSession(conversation.id);
    await expect(chatDialog(page).getByText(/agent has left/i)).toBeVisible();
    const before = await sandbox.calls();

    await sendMessage(page, 'Are you still there?');
    await expect
      .poll(async () => (await sandbox.conversations()).find((c) => c.id === conversation.id)!.messages.filter((m) => m.text === 'Are you still there?').length)
      .toBe(1);
    // One refused (417) and one accepted send of the same message.
    expect(callsSince(before, await sandbox.calls())['sf.message']).toBe(2);
    await expect(chatDialog(page).getByText('Not sent', { exact: true })).toHaveCount(0);
    await sandbox.agentSay(conversation.id, 'Yes, still here.');
    await expect(chatDialog(page).getByText('Yes, still here.', { exact: true })).toBeVisible();
  });

  test('a 401 on send costs the guest identity: the visitor is told and the chat goes on with a new one', async ({ page, sandbox, hostPage }) => {
    const first = await startConversation(page, sandbox, hostPage('salesforce'));
    await sandbox.fault({ call: 'sf.message', status: 401, times: 1 });
    const before = await sandbox.calls();

    await sendMessage(page, 'Hello after the token was refused');
    await expect(chatDialog(page).getByText(/previous chat could not be resumed/i)).toBeVisible();
    await expect
      .poll(async () => (await sandbox.conversations()).filter((c) => c.messages.some((m) => m.text === 'Hello after the token was refused')).length)
      .toBe(1);
    const second = (await sandbox.conversations()).find((c) => c.messages.some((m) => m.text === 'Hello after the token was refused'))!;
    expect(second.id).not.toBe(first.id);
    expect(second.consumerId).not.toBe(first.consumerId);
    expect(callsSince(before, await sandbox.calls())['sf.token']).toBe(1);
    await expect(chatDialog(page).getByText('Hello after the token was refused', { exact: true })).toHaveCount(1);
    await sandbox.agentSay(second.id, 'Welcome back!');
    await expect(chatDialog(page).getByText('Welcome back!', { exact: true })).toBeVisible();
  });
});
