// Loaded before upstream's mocha-runner (NODE_OPTIONS=--require): stands in for the Mongo-backed modules that
// upstream's handler tests require at load time, and applies a test selection to upstream's runner.
//
// There is no MongoDB here. What a test reaches through these modules is refused with a "needs MongoDB" error,
// except JTeamInvitation.create, which servers/testhelper/handler/teamhelper.coffee calls for every team form:
// it hands back a random code in the shape of teaminvitation.coffee's @create (shortid.generate()[0..3]). The
// create-team handler never reads teamAccessCode, so no stored invitation is needed for the HTTP round trip.
//
// Which requires are replaced, by the resolved path of the request under $KONFIG_PROJECTROOT:
//   servers/lib/server/bongo                          the webserver's Bongo (Mongo and Redis clients)
//   servers/models/<name>, workers/social/lib/social/models/<name>   the Bongo models
//   jraphical                                         the models' graph layer
// servers/models/user/reservedteamdomains is plain data: the real file is loaded.
//
// KODING_TEST_GREP (a JSON list of full test titles): only those run, matched whole, through mocha's own grep.
'use strict';

var Module = require('module');
var path = require('path');
var crypto = require('crypto');

var projectRoot = process.env.KONFIG_PROJECTROOT;
if (!projectRoot) {
  throw new Error('the upstream test harness needs KONFIG_PROJECTROOT (the upstream checkout)');
}
var MODELS = path.join(projectRoot, 'workers', 'social', 'lib', 'social', 'models');
// servers/models is a link to ../workers/social/lib/social/models upstream.
var MODEL_DIRS = [path.join(projectRoot, 'servers', 'models'), MODELS];
var PLAIN_DATA = ['user/reservedteamdomains'];
var BONGO = path.join(projectRoot, 'servers', 'lib', 'server', 'bongo');

function needsMongo(what) {
  return function () {
    throw new Error(what + ' needs MongoDB, which this harness does not have: run this test against a full Koding');
  };
}

// A model class whose every use needs MongoDB; property reads give functions that throw when called.
function mongoModel(name) {
  var model = needsMongo(name);
  return new Proxy(model, {
    get: function (target, key) {
      if (typeof key === 'symbol' || key in Function.prototype) {
        return Reflect.get(target, key);
      }
      return needsMongo(name + '.' + String(key));
    },
    construct: function () { needsMongo('new ' + name)(); }
  });
}

// teaminvitation.coffee @create: a code of four shortid characters; nothing is stored.
var SHORTID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-';
function randomCode() {
  var bytes = crypto.randomBytes(4);
  var code = '';
  for (var i = 0; i < bytes.length; i++) {
    code += SHORTID_ALPHABET[bytes[i] % SHORTID_ALPHABET.length];
  }
  return code;
}

var teamInvitation = mongoModel('JTeamInvitation');
var JTeamInvitation = new Proxy(teamInvitation, {
  get: function (target, key) {
    if (key !== 'create') {
      return Reflect.get(target, key);
    }
    return function create(options, callback) {
      var invitation = {
        code: options.code || randomCode(),
        email: options.email,
        groupName: options.groupName || 'koding',
        status: 'pending'
      };
      process.nextTick(function () { callback(null, invitation); });
    };
  }
});

function standInFor(file) {
  if (file === BONGO) {
    return { module: { models: new Proxy({}, { get: function (_t, key) { return mongoModel(String(key)); } }),
                       fetchClient: needsMongo('koding.fetchClient') } };
  }
  for (var i = 0; i < MODEL_DIRS.length; i++) {
    var relative = path.relative(MODEL_DIRS[i], file);
    if (relative && relative.split(path.sep)[0] !== '..' && !path.isAbsolute(relative)) {
      var name = relative.replace(/\.coffee$/, '').split(path.sep).join('/');
      if (PLAIN_DATA.indexOf(name) !== -1) {
        return { real: path.join(MODELS, name + '.coffee') };
      }
      if (name === 'teaminvitation') {
        return { module: JTeamInvitation };
      }
      return { module: mongoModel('models/' + name) };
    }
  }
  return undefined;
}

var jraphical = {
  Module: mongoModel('jraphical.Module'),
  Relationship: mongoModel('jraphical.Relationship')
};
var standIns = {};
var originalLoad = Module._load;

Module._load = function (request, parent, isMain) {
  if (request === 'jraphical') {
    return jraphical;
  }
  if (parent && parent.filename && (request.charAt(0) === '.' || path.isAbsolute(request))) {
    var file = path.resolve(path.dirname(parent.filename), request);
    if (!(file in standIns)) {
      standIns[file] = standInFor(file);
    }
    var standIn = standIns[file];
    if (standIn && standIn.real) {
      return originalLoad.call(this, standIn.real, parent, isMain);
    }
    if (standIn) {
      return standIn.module;
    }
  }
  return originalLoad.apply(this, arguments);
};

// The selection: upstream's mocha-runner builds its Mocha without a grep; the same grep is set before it runs.
if (process.env.KODING_TEST_GREP) {
  var titles = JSON.parse(process.env.KODING_TEST_GREP);
  var escape = function (text) { return text.replace(/[.*+?^${}()|[\]\\\/]/g, '\\$&'); };
  var pattern = new RegExp('^(?:' + titles.map(escape).join('|') + ')$');
  var Mocha = require('mocha');
  var run = Mocha.prototype.run;
  Mocha.prototype.run = function () {
    this.grep(pattern);
    return run.apply(this, arguments);
  };
}
