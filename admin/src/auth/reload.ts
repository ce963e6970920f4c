import { BASENAME } from '../config';

/** reloadPanel loads the panel afresh at path (under /admin), e.g. after a sign-in. */
export function reloadPanel(path: string): void {
    window.location.assign(BASENAME + path);
}
