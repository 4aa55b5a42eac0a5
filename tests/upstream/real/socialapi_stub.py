"""A stand-in for socialapi (Go, on PostgreSQL), for exactly the calls the exercised Koding code makes.

Koding's Node code reaches socialapi over HTTP at KONFIG.socialapi.customDomain.local + /api/social
(workers/social/lib/social/models/socialapi/requests.coffee:7-9), which nginx routes to socialapi without the
prefix. Every answer follows the socialapi Go handler named beside it (go/src/socialapi at commit
1b2b6217ed); the state is in memory. A call without a route here answers 501 and is logged, so a test that
reaches further into socialapi fails visibly instead of passing.

python socialapi_stub.py --port N
"""

import argparse
import itertools
import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PREFIX = '/api/social'
# Go's zero time.Time, as encoding/json writes it
ZERO_TIME = '0001-01-01T00:00:00Z'


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.ids = itertools.count(1)
        self.accounts = {}  # oldId -> account
        self.channels = {}  # id -> channel


STATE = State()


def ok_status():
    # workers/common/response/response.go:135-141 NewDefaultOK: 200 {"status": true}
    return 200, {'status': True}


def bad_request(message):
    # workers/common/response/response.go:32-60 NewBadRequest: 400 with the error (its text outside dev only
    # "request is not valid"; the webserver passes the body on, requests.coffee:17-18 wrapCallback)
    return 400, {'error': 'koding.BadRequest', 'description': message}


def register_account(body, _match, _request):
    # modules/account/handlers.go:71-80 POST /account -> account.go:166-173 Register -> models/account.go:59-89
    # FetchOrCreate: by oldId, else created (nick required); models/account.go:12-33: id as a string.
    old_id, nick = body.get('oldId') or '', body.get('nick') or ''
    if not old_id:
        return bad_request('old id is not set')  # models/account.go:36-38 ErrOldIdIsNotSet
    with STATE.lock:
        account = STATE.accounts.get(old_id)
        if account is None:
            if not nick:
                return bad_request('nick is not set')  # models/account.go:77-79 ErrNickIsNotSet
            account = {'id': str(next(STATE.ids)), 'oldId': old_id, 'isTroll': False, 'nick': nick, 'settings': None}
            STATE.accounts[old_id] = account
    return 200, account


def publish_mail(_body, _match, _request):
    # workers/email/api/handler.go:15-31 POST /private/mail/publish -> PublishEvent: NewDefaultOK
    return ok_status()


def update_account(body, match, _request):
    # modules/account/handlers.go:83-91 POST /account/{id} -> account.go:179-210 Update: by id, nick and settings
    with STATE.lock:
        for account in STATE.accounts.values():
            if account['id'] == match.group(1):
                account['nick'] = body.get('nick') or account['nick']
                account['settings'] = body.get('settings')
                return 200, account
    return bad_request('record not found')  # acc.ById: bongo.RecordNotFound


def dispatch_event(_body, match, _request):
    # workers/realtime/api/handler.go:17-40 POST /private/dispatcher/{eventName} -> HandleEvent: the event goes
    # to the message queue for the realtime dispatcher (bongo.B.Emit), then NewDefaultOK; nothing listens here.
    if not match.group(1):
        return bad_request('eventName can not be empty')
    return ok_status()


def create_channel(body, _match, request):
    # modules/channel/handlers.go:10-17 POST /channel -> channel.go:34-78 Create. Only a logged-in client
    # (:36-38): the webserver sends the session as the clientId cookie (socialapi/requests.coffee:518-527);
    # socialapi reads the account from that session in Mongo, the stub only checks that one is sent.
    if 'clientId=' not in (request.headers.get('Cookie') or ''):
        return bad_request('not logged in')  # models/errors.go:47 ErrNotLoggedIn
    group = body.get('groupName') or 'koding'
    privacy = body.get('privacyConstant') or ('public' if group == 'koding' else 'private')  # :44-51
    with STATE.lock:
        channel = {
            'id': str(next(STATE.ids)),  # models/channel.go:17 `json:"id,string"`
            'token': '',
            'name': body.get('name') or '',
            'creatorId': str(body.get('creatorId') or 0),
            'groupName': group,
            'purpose': body.get('purpose') or '',
            'typeConstant': body.get('typeConstant') or 'topic',  # :53-55
            'privacyConstant': privacy,
            'metaBits': 0,
            'payload': None,
            'createdAt': ZERO_TIME,
            'updatedAt': ZERO_TIME,
            'deletedAt': ZERO_TIME,
        }
        STATE.channels[channel['id']] = channel
    # :65-77, a models/channelcontainer.go:10-19 ChannelContainer with the creator as its participant
    container = {
        'channel': channel,
        'isParticipant': True,
        'participantCount': 1,
        'participantsPreview': [],
        'lastMessage': None,
        'accountOldId': '',
        'unreadCount': 0,
    }
    return 200, container


def account_subscriptions(_body, _match, request):
    # workers/payment/api/handlers.go:47-55 GET /payments/subscriptions -> api.go:32-40 -> payment/account.go:50-74:
    # without a customer (the stub has no payments), the default plan (payment.go:37-46 field names).
    account_id = parse_qs(urlsplit(request.path).query).get('account_id', [''])[0]
    if not account_id:
        return bad_request('account id is not set')  # paymenterrors.ErrAccountIdIsNotSet
    plan = {'planTitle': 'free', 'planInterval': 'month', 'state': 'active', 'provider': 'koding'}
    plan.update(dict.fromkeys(('expiredAt', 'canceledAt', 'currentPeriodStart', 'currentPeriodEnd'), ZERO_TIME))
    return 200, dict({'accountId': account_id}, **plan)


def delete_customer(_body, _match, _request):
    # workers/payment/api/handlers.go:104-111 DELETE /payments/customers/{accountId} -> api.go:84-92 ->
    # payment/account.go:76-78 -> stripe/customer.go:92-96: no customer with that old id, so the lookup's error,
    # as response.go:97-100 HandleResultAndClientError answers it (400).
    return bad_request('record not found')


ROUTES = [
    ('POST', r'/account', register_account),
    ('POST', r'/account/(\d+)', update_account),
    ('POST', r'/channel', create_channel),
    ('POST', r'/private/mail/publish', publish_mail),
    ('POST', r'/private/dispatcher/([^/]*)', dispatch_event),
    ('GET', r'/payments/subscriptions', account_subscriptions),
    ('DELETE', r'/payments/customers/([^/]+)', delete_customer),
]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):  # pylint: disable=arguments-differ
        sys.stderr.write('socialapi-stub: ' + (fmt % args) + '\n')

    def answer(self, status, body):
        data = json.dumps(body).encode() if body is not None else b''
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        length = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(length) if length else b''
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        path = self.path.split('?', 1)[0]
        if path.startswith(PREFIX):
            path = path[len(PREFIX) :]
        for method, pattern, route in ROUTES:
            match = re.fullmatch(pattern, path)
            if method == self.command and match:
                self.answer(*route(body, match, self))
                return
        sys.stderr.write('socialapi-stub: NO ROUTE %s %s %s\n' % (self.command, path, raw[:200]))
        self.answer(501, {'error': 'koding.NotImplemented', 'description': 'not in the socialapi stub: %s %s' % (self.command, path)})

    do_GET = do_POST = do_PUT = do_DELETE = handle_any


def main(argv=None):
    parser = argparse.ArgumentParser(description='socialapi stub')
    parser.add_argument('--port', type=int, required=True)
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer(('127.0.0.1', args.port), Handler)
    server.serve_forever()


if __name__ == '__main__':
    main()
