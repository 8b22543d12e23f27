"""parse-initial-query: validate the execution input, open the session, resolve the dataset."""

from causal_agent import runtime
from causal_agent.start import parse_initial_query
from causal_agent.state import StartEvent
from causal_common.lambda_handler import lambda_handler

handler = lambda_handler(StartEvent, runtime.clients)(parse_initial_query)
