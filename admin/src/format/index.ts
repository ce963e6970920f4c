export { formatMoney, minorToUnits, unitsToMinor } from './money';
export { formatDateTime, formatDate, zonedWallToInstant, instantToZonedWall, dayBoundsInZone } from './date';
