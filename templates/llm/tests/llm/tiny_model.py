"""A tiny GPT-2 chat model that the tests build and save themselves.

The weights are set by hand so that greedy and sampled generation give the
same reply to any prompt: after `<|assistant|>` the model writes REPLY word by
word and then ends the text. The reply contains an SSN and a card number, so
the tests can check redaction of real model output.

How: the transformer blocks add nothing (their output projections are zero)
and there are no position embeddings, so the logits at a position depend only
on the token there. Each token of the reply chain gets its own one-hot
embedding, and the output layer maps it to the next token of the chain.
"""

import argparse
from itertools import pairwise
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

from tests.llm.environment import SYSTEM_PROMPT

REPLY = "Reach me at 123-45-6789 or card 4111-1111-1111-1111 today."
REDACTED_REPLY = "Reach me at [REDACTED SSN] or card [REDACTED CARD] today."
END_OF_TEXT = "<|endoftext|>"
UNKNOWN = "[UNK]"
ROLE_TOKENS = ("<|system|>", "<|user|>", "<|assistant|>", "<|end|>")
PROMPT_WORDS = (
    "hello",
    "please",
    "say",
    "something",
    "ignore",
    "previous",
    "instructions",
    "system:",
    *SYSTEM_PROMPT.split(),
)
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'system' %}<|system|>"
    "{% elif message['role'] == 'user' %}<|user|>"
    "{% else %}<|assistant|>{% endif %}"
    " {{ message['content'] }} <|end|> "
    "{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
HIDDEN_SIZE = 32
CONTEXT_TOKENS = 256
LOGIT_SCALE = 4.0


def build_tokenizer() -> PreTrainedTokenizerFast:
    """A word-level tokenizer. The special tokens are added tokens only, so text
    that spells one is encoded as [UNK] when the chat template sanitizes it."""
    words = [UNKNOWN, *REPLY.split(), *PROMPT_WORDS]
    vocabulary = {word: index for index, word in enumerate(dict.fromkeys(words))}
    backend = Tokenizer(models.WordLevel(vocabulary, unk_token=UNKNOWN))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    backend.decoder = decoders.WordPiece()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        eos_token=END_OF_TEXT,
        pad_token=END_OF_TEXT,
        unk_token=UNKNOWN,
        extra_special_tokens=list(ROLE_TOKENS),
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def build_model(tokenizer: PreTrainedTokenizerFast) -> GPT2LMHeadModel:
    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=CONTEXT_TOKENS,
        n_embd=HIDDEN_SIZE,
        n_layer=1,
        n_head=2,
        tie_word_embeddings=False,
        bos_token_id=tokenizer.eos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.eos_token_id,
    )
    model = GPT2LMHeadModel(config)
    chain = ["<|assistant|>", *REPLY.split(), END_OF_TEXT]
    ids = tokenizer.convert_tokens_to_ids(chain)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.zero_()
        for module in model.modules():
            if isinstance(module, torch.nn.LayerNorm):
                module.weight.fill_(1.0)
        for position, (current, following) in enumerate(pairwise(ids)):
            embedding = torch.zeros(HIDDEN_SIZE)
            embedding[position] = 1.0
            model.transformer.wte.weight[current] = embedding
            normalized = torch.nn.functional.layer_norm(embedding, (HIDDEN_SIZE,))
            model.lm_head.weight[following] += LOGIT_SCALE * normalized
    return model


def build_tiny_chat_model(directory: Path) -> None:
    tokenizer = build_tokenizer()
    model = build_model(tokenizer)
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)


def main() -> None:
    """Write the tiny chat model, to try the service without a real model. Its
    replies are meaningless."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("path", type=Path, help="the model directory to write")
    build_tiny_chat_model(parser.parse_args().path)


if __name__ == "__main__":
    main()
