// Satisfies `require 'bongo'` in upstream's servers/testhelper for HTTP-only tests: the lab's
// Koding keeps no Mongo connection of the test's own, so this Bongo only reports itself ready
// (checkBongoConnectivity waits for 'dbClientReady').
'use strict';

var EventEmitter = require('events').EventEmitter;
var util = require('util');

function Bongo(options) {
  EventEmitter.call(this);
  this.options = options;
  var self = this;
  process.nextTick(function () { self.emit('dbClientReady'); });
}
util.inherits(Bongo, EventEmitter);

module.exports = Bongo;
