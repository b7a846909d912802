"""A tiny BERT text classifier that the tests build and save themselves."""

import argparse
from pathlib import Path

import torch
from tokenizers import Tokenizer, models, pre_tokenizers, processors
from transformers import (
    BertConfig,
    BertForSequenceClassification,
    PreTrainedTokenizerFast,
)

LABELS = ("negative", "positive")
WORDS = ("good", "great", "bad", "awful", "the", "movie", "was")
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]")
CONTEXT_TOKENS = 64
SEED = 1234


def build_tokenizer() -> PreTrainedTokenizerFast:
    vocabulary = {word: index for index, word in enumerate((*SPECIAL_TOKENS, *WORDS))}
    backend = Tokenizer(models.WordLevel(vocabulary, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        special_tokens=[("[CLS]", vocabulary["[CLS]"]), ("[SEP]", vocabulary["[SEP]"])],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        model_max_length=CONTEXT_TOKENS,
    )


def build_classifier(
    tokenizer: PreTrainedTokenizerFast,
) -> BertForSequenceClassification:
    torch.manual_seed(SEED)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=CONTEXT_TOKENS,
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={label: index for index, label in enumerate(LABELS)},
        pad_token_id=tokenizer.pad_token_id,
    )
    return BertForSequenceClassification(config).eval()


def save_tiny_classifier(directory: Path) -> None:
    tokenizer = build_tokenizer()
    model = build_classifier(tokenizer)
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)


def main() -> None:
    """Write the tiny text classifier, to try the service without a trained model.
    Its predictions are meaningless."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("path", type=Path, help="the model directory to write")
    save_tiny_classifier(parser.parse_args().path)


if __name__ == "__main__":
    main()
