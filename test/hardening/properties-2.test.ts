import { describeSchemeProperties } from './support/properties';

// Issue #7, item 1: every provider scheme, at least 10,000 random cases per run (half the schemes here).
describeSchemeProperties(1, 2);
