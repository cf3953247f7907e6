import { expect, type Browser, type Locator } from '@playwright/test';
import { type ContextOptions, LINK, TinCanPage, codeOf } from './tincan-page';

/** One member of a group chat: a Tin Can tab with the group's parts of the chat screen. */
export class GroupMember {
  readonly app: TinCanPage;
  readonly name: string;

  constructor(app: TinCanPage, name: string) {
    this.app = app;
    this.name = name;
  }

  get page() {
    return this.app.page;
  }

  get addPersonButton(): Locator {
    return this.page.getByRole('button', { name: 'Add person', exact: true });
  }

  get membersButton(): Locator {
    return this.page.getByRole('button', { name: /^Members \(\d+\)$/ });
  }

  get leaveButton(): Locator {
    return this.page.getByRole('button', { name: 'Leave group', exact: true });
  }

  /** The member list (opens its panel when needed). */
  async members(): Promise<Locator> {
    const list = this.page.getByTestId('group-members');
    if (!(await list.isVisible())) await this.membersButton.click();
    await expect(list).toBeVisible();
    return list.getByTestId('member');
  }

  member(id: string): Locator {
    return this.page.getByTestId('group-members').locator(`[data-member-id="${id}"]`);
  }

  memberNamed(name: string): Locator {
    return this.page
      .getByTestId('group-members')
      .getByTestId('member')
      .filter({ has: this.page.locator('.member-name', { hasText: new RegExp(`^${name}$`) }) });
  }

  /** The safety code this member shows for its pair with `other`. */
  async safetyCodeWith(other: string): Promise<string> {
    await this.members();
    const code = this.memberNamed(other).getByTestId('member-safety-code');
    await expect(code, `${this.name} shows a safety code with ${other}`).toHaveText(/^\d{5}( \d{5}){11}$/);
    return ((await code.textContent()) ?? '').trim();
  }

  /** Waits until every other member is reached over a direct connection (a full mesh). */
  async expectFullMesh(size: number): Promise<void> {
    await expect(this.page.getByRole('heading', { name: `Group · ${size} people` })).toBeVisible({ timeout: 20_000 });
    const rows = await this.members();
    await expect(rows).toHaveCount(size);
    await expect(rows.and(this.page.locator('[data-reach="direct"]')), `${this.name} reaches everyone directly`).toHaveCount(size - 1, {
      timeout: 20_000,
    });
  }

  /**
   * From now on this member relays the offers and answers of the pairs it introduces without
   * their candidates: like two strict NATs with no relay, those pairs have no path, and their
   * introductions run out (30 s).
   */
  async relayWithoutCandidates(): Promise<void> {
    await this.page.evaluate(() => {
      const send = RTCDataChannel.prototype.send;
      RTCDataChannel.prototype.send = function (this: RTCDataChannel, data: unknown) {
        if (typeof data === 'string' && data.includes('"group_signal"')) {
          const frame = JSON.parse(data);
          frame.sdp = String(frame.sdp)
            .split('\r\n')
            .filter((line: string) => !line.startsWith('a=candidate'))
            .join('\r\n');
          return send.call(this, JSON.stringify(frame));
        }
        return send.call(this, data as string);
      };
    });
  }

  /**
   * Records each data channel this tab's connections make from now on, with its connection, so
   * that a test can break one member pair's connection ({@link closeDirectConnectionWith}).
   * Call before the connections of interest are made.
   */
  async recordChannels(): Promise<void> {
    await this.page.evaluate(() => {
      type Made = { connection: RTCPeerConnection; channel: RTCDataChannel };
      const w = window as unknown as { __channels?: Made[] };
      if (w.__channels) return;
      const made: Made[] = (w.__channels = []);
      const create = RTCPeerConnection.prototype.createDataChannel;
      RTCPeerConnection.prototype.createDataChannel = function (this: RTCPeerConnection, ...args: Parameters<typeof create>) {
        const channel = create.apply(this, args);
        made.push({ connection: this, channel });
        return channel;
      };
    });
  }

  /** The DTLS fingerprints of this tab's recorded connections (its own certificates). */
  async localFingerprints(): Promise<string[]> {
    return this.page.evaluate(() => {
      const made = (window as unknown as { __channels?: { connection: RTCPeerConnection }[] }).__channels ?? [];
      return made
        .map(({ connection }) => /a=fingerprint:(\S+ \S+)/.exec(connection.localDescription?.sdp ?? '')?.[1])
        .filter((fingerprint): fingerprint is string => !!fingerprint);
    });
  }

  /**
   * Breaks this member's direct connection with `other`, and no other: closes the chat channel
   * of the recorded connection whose remote certificate is `other`'s. Both ends see it close,
   * as when the connection fails. Both tabs must have called {@link recordChannels} first.
   */
  async closeDirectConnectionWith(other: GroupMember): Promise<void> {
    const theirs = await other.localFingerprints();
    const closed = await this.page.evaluate((theirs) => {
      const made = (window as unknown as { __channels?: { connection: RTCPeerConnection; channel: RTCDataChannel }[] }).__channels ?? [];
      const remote = (connection: RTCPeerConnection) =>
        /a=fingerprint:(\S+ \S+)/.exec(connection.remoteDescription?.sdp ?? '')?.[1] ?? '';
      const hits = made.filter(
        ({ connection, channel }) => channel.label === 'chat' && channel.readyState === 'open' && theirs.includes(remote(connection)),
      );
      for (const { channel } of hits) channel.close();
      return hits.length;
    }, theirs);
    expect(closed, `${this.name} had one open connection with ${other.name}`).toBe(1);
  }

  get log(): Locator {
    return this.page.getByTestId('group-log');
  }

  /** Group messages (not the "added"/"left" lines). */
  messages(): Locator {
    return this.log.locator('li.message');
  }

  messagesBy(author: string): Locator {
    return this.log.locator(`li.message[data-group-author="${author}"]`);
  }

  async send(text: string): Promise<void> {
    await this.app.send(text);
  }

  /**
   * Add person: makes the link, lets `newcomer` open it and pastes its answer back. Returns the
   * newcomer as a member.
   */
  async add(newcomer: TinCanPage, name: string): Promise<GroupMember> {
    await this.addPersonButton.click();
    const linkBox = this.page.locator('#add-person-link');
    await expect(linkBox).toHaveValue(LINK);
    const answer = await newcomer.openInvite(await linkBox.inputValue());
    await this.page.getByLabel('Paste their answer link').fill(codeOf(answer));
    await this.page.getByRole('button', { name: 'Add to group', exact: true }).click();
    await newcomer.expectConnected();
    await expect(this.page.getByTestId('add-person')).toBeHidden();
    return new GroupMember(newcomer, name);
  }
}

/** A Tin Can tab in a new browser context whose display name is `name`. */
export async function openNamed(browser: Browser, name: string, options: ContextOptions = {}): Promise<TinCanPage> {
  const app = await TinCanPage.launch(browser, options);
  await app.openSettings();
  await app.page.getByLabel('Display name', { exact: true }).fill(name);
  await app.saveButton.click();
  await expect(app.settingsDialog).toBeHidden();
  return app;
}

/**
 * Ann and Bob in a two-person chat, the way every group starts. `beforeConnect` runs on Bob's
 * tab before the two connect.
 */
export async function namedPair(
  browser: Browser,
  bobOptions: ContextOptions = {},
  beforeConnect: (bob: TinCanPage) => Promise<void> = async () => {},
): Promise<[GroupMember, GroupMember]> {
  const ann = await openNamed(browser, 'Ann');
  const bob = await openNamed(browser, 'Bob', bobOptions);
  await beforeConnect(bob);
  const answer = await bob.openInvite(await ann.createInvite());
  await ann.acceptAnswer(codeOf(answer));
  await ann.expectConnected();
  await bob.expectConnected();
  return [new GroupMember(ann, 'Ann'), new GroupMember(bob, 'Bob')];
}
