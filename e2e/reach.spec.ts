import { test, expect } from './fixtures';
import { TinCanPage, connectPair } from './pages/tincan-page';

// What the app tells people about the path their chat takes and about their STUN/TURN servers,
// on loopback. The NAT lab (e2e/lab/) checks the same things across routers and a relay.

test.describe('Connection path', () => {
  test('a connected chat says it runs directly, with the round trip', async ({ browser }) => {
    const { inviter, invitee } = await connectPair(browser);
    for (const side of [inviter, invitee]) {
      await expect(side.connectionPath).toHaveText(/^Direct · round trip \d+ ms$/);
      await expect(side.connectionPath).toHaveAttribute('data-relayed', 'false');
    }
  });
});

test.describe('Test servers', () => {
  test('a server that never answers is reported as unreachable within the deadline', async ({ browser }) => {
    const app = await TinCanPage.launch(browser);
    // A closed loopback port: nothing answers, nothing leaves the machine.
    const rows = await app.testServers(['stun:127.0.0.1:9']);
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toHaveAttribute('data-result', 'testing');
    await expect(rows.first()).toHaveAttribute('data-result', 'failed', { timeout: 8_000 });
    await expect(rows.first()).toContainText('stun:127.0.0.1:9');
    await expect(rows.first()).toContainText(/No answer within 5 s/);
    // Testing saved nothing: the dialog still offers Cancel, and the saved list is unchanged.
    await app.cancelButton.click();
    await app.openSettings();
    await expect(app.iceServersBox).toHaveValue('');
  });

  test('malformed servers and missing credentials get a message naming the problem', async ({ browser }) => {
    const app = await TinCanPage.launch(browser);
    await app.testServers(['stun://127.0.0.1:9']);
    await expect(app.settingsDialog.getByRole('alert')).toContainText('stun://127.0.0.1:9');
    await expect(app.settingsDialog.getByRole('alert')).toContainText('stun:host:port');

    await app.cancelButton.click();
    await app.testServers(['turn:127.0.0.1:9?transport=sctp'], { username: 'u', credential: 'p' });
    await expect(app.settingsDialog.getByRole('alert')).toContainText('?transport=udp');

    await app.cancelButton.click();
    await app.testServers(['turn:127.0.0.1:9?transport=tcp']);
    await expect(app.settingsDialog.getByRole('alert')).toContainText('needs both a username and a credential');

    // Saving refuses a malformed line with the same kind of message; reopened, the dialog
    // shows no result of an earlier test.
    await app.cancelButton.click();
    await app.openSettings();
    await expect(app.settingsDialog.getByRole('alert')).toHaveCount(0);
    await app.iceServersBox.fill('turn:127.0.0.1:99999');
    await app.saveButton.click();
    await expect(app.settingsDialog.getByRole('alert')).toContainText('port');
  });

  test('several servers, TURN over TCP accepted and each reported on its own row', async ({ browser }) => {
    const app = await TinCanPage.launch(browser);
    const rows = await app.testServers(
      ['stun:127.0.0.1:9', 'turn:127.0.0.1:9?transport=tcp'],
      { username: 'user', credential: 'secret' },
    );
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0)).toContainText('stun:127.0.0.1:9');
    await expect(rows.nth(1)).toContainText('turn:127.0.0.1:9?transport=tcp');
    for (const row of [rows.nth(0), rows.nth(1)]) {
      await expect(row).toHaveAttribute('data-result', 'failed', { timeout: 8_000 });
    }
  });
});
