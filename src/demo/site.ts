/** The host site's own behaviour: its "chat with us" buttons use the widget's public API. */
import { guestChat } from './guestchat.ts';

export function wireSite(): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('[data-open-chat]')) {
    button.addEventListener('click', () => guestChat()?.open());
  }
  for (const form of document.querySelectorAll<HTMLFormElement>('form[data-fake]')) {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const note = form.querySelector('[role="status"]');
      if (note) note.textContent = 'Thanks! (This is a demo site: nothing was sent.)';
    });
  }
}
