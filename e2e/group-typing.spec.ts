import { test, expect } from './fixtures';
import { namedPair, openNamed } from './pages/group';

test.describe('Group typing notices', () => {
  test('a member reached only through another sees who is typing', async ({ browser }) => {
    const [ann, bob] = await namedPair(browser);
    // Bob and Cat have no direct path: they reach each other through Ann.
    await ann.relayWithoutCandidates();
    const cat = await ann.add(await openNamed(browser, 'Cat'), 'Cat');
    await bob.members();
    await expect(bob.memberNamed('Cat')).toHaveAttribute('data-reach', 'via');
    await cat.members();
    await expect(cat.memberNamed('Bob')).toHaveAttribute('data-reach', 'via');

    await cat.app.messageBox.pressSequentially('hel');
    for (const member of [ann, bob]) await expect(member.page.getByTestId('group-typing')).toHaveText('Cat is typing…');
    await bob.app.messageBox.pressSequentially('hm');
    await expect(cat.page.getByTestId('group-typing')).toHaveText('Bob is typing…');
    await expect(ann.page.getByTestId('group-typing')).toHaveText('Bob and Cat are typing…');
    // Cat's message (through Ann) ends Cat's notice at Bob's.
    await cat.app.messageBox.press('Enter');
    await expect(bob.messagesBy('Cat')).toHaveText([/hel/]);
    await expect(bob.page.getByTestId('group-typing')).toHaveText('');
    await expect(bob.memberNamed('Cat')).toHaveAttribute('data-reach', 'via');
  });
});
