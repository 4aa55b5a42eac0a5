// The mocha reporter named 'koding' that upstream's scripts/node-testing/mocha-runner asks for:
// mocha's own spec reporter.
'use strict';

module.exports = require('mocha/lib/reporters/spec');
