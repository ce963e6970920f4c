// The panel's layout: react-admin's responsive one (a drawer on a phone, a collapsible sidebar on
// a tablet) with a menu that adds the hand-made screens to the resources of the schema.
import CalendarIcon from '@mui/icons-material/CalendarMonth';
import { useMediaQuery, type Theme } from '@mui/material';
import { useEffect, type ReactNode } from 'react';
import { Layout, Menu, useResourceDefinitions, useSidebarState } from 'react-admin';

export function PanelMenu() {
    // The resources are registered after the schema loads; reading them re-renders the menu then.
    const resources = useResourceDefinitions();
    const calendar = !!resources.appointments?.hasList;
    return (
        <Menu>
            <Menu.DashboardItem primaryText="Главная" />
            {calendar && <Menu.Item to="/calendar" primaryText="Календарь" leftIcon={<CalendarIcon />} data-testid="menu-calendar" />}
            <Menu.ResourceItems />
        </Menu>
    );
}

/**
 * useFoldedMenuWhenNarrow folds the menu to its icons on a screen narrower than 900 px (a tablet
 * in portrait): the open menu takes 240 px, and the lists beside it would not fit the screen. It
 * folds when the panel opens on such a screen and when the window narrows; unfolding it stays
 * possible.
 */
function useFoldedMenuWhenNarrow() {
    const narrow = useMediaQuery<Theme>(theme => theme.breakpoints.down('md'), { noSsr: true });
    const [, setOpen] = useSidebarState();
    useEffect(() => {
        if (narrow) {
            setOpen(false);
        }
    }, [narrow, setOpen]);
}

export function PanelLayout({ children }: { children: ReactNode }) {
    useFoldedMenuWhenNarrow();
    return <Layout menu={PanelMenu}>{children}</Layout>;
}
