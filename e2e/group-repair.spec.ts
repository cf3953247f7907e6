import { test, expect } from './fixtures';
import { GroupMember, namedPair, openNamed } from './pages/group';

// When one pair's direct connection breaks while both stay connected to the others, the group
// introduces them again within seconds (core::group::introduction: 2 s after the break, then
// the app's next 2 s tick), not minutes later.
test.describe('Group repair', () => {
  test('one pair’s direct connection breaks: direct again within seconds, same safety codes, what was written meanwhile arrives once', async ({
    browser,
  }) => {
    test.setTimeout(60_000);
    const [ann, bob] = await namedPair(browser);
    await bob.recordChannels();
    const catTab = await openNamed(browser, 'Cat');
    await new GroupMember(catTab, 'Cat').recordChannels();
    const cat = await ann.add(catTab, 'Cat');
    // Ann introduced Bob and Cat (no link between them).
    for (const member of [ann, bob, cat]) await member.expectFullMesh(3);
    await ann.send('before');
    for (const member of [bob, cat]) await expect(member.messagesBy('Ann')).toHaveCount(1);
    const code = await bob.safetyCodeWith('Cat');
    expect(await cat.safetyCodeWith('Bob'), 'Bob and Cat compare the same code').toBe(code);

    // Bob–Cat breaks; Ann–Bob and Ann–Cat stay.
    await bob.closeDirectConnectionWith(cat);
    const broke = Date.now();
    for (const [member, other] of [
      [bob, 'Cat'],
      [cat, 'Bob'],
    ] as const) {
      await expect(member.memberNamed(other), `${member.name} no longer reaches ${other} directly`).toHaveAttribute('data-reach', 'via');
      await expect(member.memberNamed(other)).toContainText(/Through Ann|Connecting…/);
      await expect(member.memberNamed('Ann')).toHaveAttribute('data-reach', 'direct');
    }
    await bob.send('while apart, from Bob');
    await cat.send('while apart, from Cat');

    for (const [member, other] of [
      [bob, 'Cat'],
      [cat, 'Bob'],
    ] as const) {
      await expect(member.memberNamed(other), `${member.name} reaches ${other} directly again`).toHaveAttribute('data-reach', 'direct', {
        timeout: 15_000,
      });
      await expect(member.memberNamed(other)).toContainText('Direct');
    }
    const repairedAfterMs = Date.now() - broke;
    test.info().annotations.push({ type: 'repaired after', description: `${repairedAfterMs} ms` });
    expect(repairedAfterMs, 'direct again within 15 s of the break').toBeLessThan(15_000);

    // The same two certificates: the same code, at both ends.
    expect(await bob.safetyCodeWith('Cat')).toBe(code);
    expect(await cat.safetyCodeWith('Bob')).toBe(code);

    // Everything once, each author's in order, everywhere.
    // (A member's own messages are by "You" on its screen.)
    const by = (member: GroupMember, author: GroupMember) => member.messagesBy(member === author ? 'You' : author.name);
    for (const member of [ann, bob, cat]) {
      await expect(member.messages()).toHaveCount(3);
      await expect(by(member, ann)).toHaveText([/before/]);
      await expect(by(member, bob)).toHaveText([/while apart, from Bob/]);
      await expect(by(member, cat)).toHaveText([/while apart, from Cat/]);
    }
    for (const member of [bob, cat]) {
      await expect(by(member, member).getByTestId('group-receipt')).toHaveText('Delivered to 2 of 2');
    }

    // The repaired connection carries what follows.
    await cat.send('direct again');
    await expect(bob.messagesBy('Cat')).toHaveText([/while apart, from Cat/, /direct again/]);
    await expect(cat.messages().last().getByTestId('group-receipt')).toHaveText('Delivered to 2 of 2');
  });
});
