"""Interop: the official Python SDK (lc-sdk-python, API 3.6), unmodified, against
lc-sandbox over TLS.

    python agent_customer.py READY_FILE CERT_PEM

READY_FILE is the sandbox's --ready-file; CERT_PEM its certificate, which the Web clients
are told to trust (the SDK's RTM client does not verify certificates). Exits 0 when every
step and check passed, 1 otherwise.
"""

import json
import signal
import ssl
import sys
import time

from loguru import logger
from livechat.agent.rtm.base import AgentRTM
from livechat.agent.web.base import AgentWeb
from livechat.customer.rtm.base import CustomerRTM
from livechat.customer.web.base import CustomerWeb

STEP_TIMEOUT_S = 5.0
RUN_TIMEOUT_S = 60


class Failure(Exception):
    """A failed check."""


def check(condition, message):
    """Raises a Failure naming `message` unless `condition` holds."""
    if not condition:
        raise Failure(f'check failed: {message}')


def ok(response, what):
    """The payload of a successful RTM response."""
    check(response is not None, f'{what}: no response within the SDK\'s 3 s')
    check(response.success is True, f'{what}: {response.payload}')
    return response.payload


def wait_push(rtm, name, predicate=lambda payload: True):
    """The payload of the first push `name` matching `predicate` that `rtm` received."""
    deadline = time.monotonic() + STEP_TIMEOUT_S
    while time.monotonic() < deadline:
        with rtm.ws._messages_lock:
            messages = list(rtm.ws.messages)
        for message in reversed(messages):  # the SDK inserts new messages in front
            if (message.get('type') == 'push' and message.get('action') == name
                    and predicate(message.get('payload') or {})):
                return message['payload']
        time.sleep(0.05)
    raise Failure(f'timed out: push {name}')


def is_message(text):
    """Whether an event is a message with this text."""
    return lambda event: bool(event) and event.get('type') == 'message' and event.get(
        'text') == text


def web_json(response, what):
    """The JSON body of a successful Web response."""
    check(response.status_code == 200,
          f'{what}: HTTP {response.status_code} {response.text}')
    return response.json()


def run(ready, cert):
    """The scenario: login, chat, messages both ways, heartbeat, deactivation, Web."""
    host = f'127.0.0.1:{ready["port"]}'
    org = ready['organization_id']

    agent = AgentRTM.get_client(version='3.6', base_url=host)
    agent.open_connection()
    login = ok(agent.login(token=f'Bearer {ready["agent"]["token"]}'), 'agent login')
    check(login['my_profile']['id'] == ready['agent']['id'], 'agent login returns my_profile')
    print(f'agent {login["my_profile"]["id"]} logged in')
    wait_push(agent, 'incoming_customers')

    customer = CustomerRTM.get_client(version='3.6', base_url=host, organization_id=org)
    customer.open_connection()
    connected_at = time.monotonic()  # both connections are open from here on
    customer_login = ok(customer.login(token=f'Bearer {ready["customer"]["token"]}'),
                        'customer login')
    check(customer_login['customer']['id'] == ready['customer']['id'],
          'customer login returns the customer')
    print(f'customer {customer_login["customer"]["id"]} logged in')

    hello = 'Hello from the Python customer'
    started = ok(
        customer.start_chat(chat={'thread': {'events': [{'type': 'message', 'text': hello}]}}),
        'start_chat')
    chat_id = started['chat_id']
    print(f'customer started chat {chat_id}')

    incoming = wait_push(agent, 'incoming_chat', lambda p: p['chat']['id'] == chat_id)
    check(incoming['chat']['thread']['id'] == started['thread_id'],
          'incoming_chat carries the new thread')
    check(any(map(is_message(hello), incoming['chat']['thread']['events'])),
          'incoming_chat carries the first message')
    check(any(u['id'] == ready['agent']['id'] for u in incoming['chat']['users']),
          'the chat was routed to the agent')
    print('agent received incoming_chat')

    reply = 'Hi, the Python agent here'
    sent = ok(agent.send_event(chat_id=chat_id, event={'type': 'message', 'text': reply}),
              'agent send_event')
    at_customer = wait_push(customer, 'incoming_event', lambda p: is_message(reply)(p['event']))
    check(at_customer['event']['id'] == sent['event_id'], 'the customer got the agent\'s message')
    check(at_customer['event']['author_id'] == ready['agent']['id'],
          'the agent\'s message names its author')

    question = 'Where is my order?'
    asked = ok(customer.send_event(chat_id=chat_id, event={'type': 'message', 'text': question}),
               'customer send_event')
    at_agent = wait_push(agent, 'incoming_event', lambda p: is_message(question)(p['event']))
    check(at_agent['event']['id'] == asked['event_id'] and
          at_agent['event']['author_id'] == ready['customer']['id'],
          'the agent got the customer\'s message')
    print('messages exchanged both ways')

    # The SDK's heartbeat: WebSocket control pings every 5 s, 3 s to answer or it drops the
    # connection.
    time.sleep(max(0.0, connected_at + 11.0 - time.monotonic()))
    check(agent.ws.last_pong_tm > 0 and customer.ws.last_pong_tm > 0,
          'the sandbox answered the control pings')
    check(agent.ws.sock is not None and agent.ws.sock.connected, 'the agent is still connected')
    print('heartbeat: control pings answered')

    ok(agent.deactivate_chat(id=chat_id), 'deactivate_chat')
    closed = wait_push(customer, 'chat_deactivated', lambda p: p['chat_id'] == chat_id)
    check(closed['thread_id'] == started['thread_id'], 'chat_deactivated names the thread')
    print('agent deactivated the chat')

    trust = ssl.create_default_context(cafile=cert)
    agent_web = AgentWeb.get_client(access_token=f'Bearer {ready["agent"]["token"]}',
                                    version='3.6', base_url=host, verify=trust,
                                    disable_logging=True)
    chat = web_json(agent_web.get_chat(chat_id=chat_id), 'agent web get_chat')
    check(chat['id'] == chat_id and chat['thread']['active'] is False,
          'get_chat over Web shows the inactive thread')
    texts = [e.get('text') for e in chat['thread']['events'] if e['type'] == 'message']
    check(all(t in texts for t in (hello, reply, question)),
          'get_chat over Web has all three messages')
    customer_web = CustomerWeb.get_client(access_token=f'Bearer {ready["customer"]["token"]}',
                                          version='3.6', base_url=host, verify=trust,
                                          organization_id=org, disable_logging=True)
    seen = web_json(customer_web.get_chat(chat_id=chat_id), 'customer web get_chat')
    check(seen['id'] == chat_id, 'the customer gets the chat over Web')
    print('Web get_chat agrees')

    agent.close_connection()
    customer.close_connection()


def on_alarm(_signum, _frame):
    """Bounds the whole run."""
    raise Failure(f'the run took longer than {RUN_TIMEOUT_S} s')


def main():
    """Runs the scenario; the exit status tells whether it passed."""
    if len(sys.argv) != 3:
        print('usage: python agent_customer.py READY_FILE CERT_PEM', file=sys.stderr)
        return 2
    logger.remove()  # the SDK logs every frame at INFO
    logger.add(sys.stderr, level='WARNING')
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(RUN_TIMEOUT_S)
    with open(sys.argv[1], encoding='utf-8') as file:
        ready = json.load(file)
    try:
        run(ready, sys.argv[2])
    except Failure as failure:
        print(f'python interop: FAILED: {failure}', file=sys.stderr)
        return 1
    print('python interop: ok')
    return 0


if __name__ == '__main__':
    sys.exit(main())
