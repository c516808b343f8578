"""Survey comments for the synthetic world, in English and Chinese, whose topic and tone are
planted: the tone follows the NPS answer (promoters write praise, detractors complaints,
passives something in between), the topic follows the customer's latest ticket when there
was one. A few comments carry the writer's own contact details, as real ones do, so the
scrubbing has something to find.

The sentences here generate data; the hand-labelled sentences that measure the sentiment
scorers are different ones (``tests/data/sentiment_*.csv``), so nothing is tuned on them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COMMENT_SHARE = 0.4  # of answers with a comment
CHINESE_SHARE = 0.25  # of comments written in Chinese
CONTACT_SHARE = 0.03  # of comments that end with the writer's name, phone or e-mail
TOPIC_OF_TICKET = {
    "delivery": "delivery",
    "returns": "product",
    "product": "product",
    "billing": "price",
    "account": "app",
}
TOPICS = ("delivery", "product", "price", "service", "app")

# topic -> tone -> (English sentences, Chinese sentences)
SENTENCES = {
    "delivery": {
        "positive": (
            [
                "Delivery was quick and the parcel arrived in perfect condition.",
                "The delivery came a day early, great courier.",
                "Fast delivery and careful packaging, thank you.",
            ],
            [
                "快递很快，包装完好无损。",
                "快递提前一天就到了，物流很给力。",
                "快递速度快，包装很用心，谢谢。",
            ],
        ),
        "neutral": (
            [
                "Delivery took about the time they said.",
                "The parcel delivery came on the expected day.",
                "Delivery was okay, parcel tracking could be clearer.",
            ],
            [
                "快递时间和预计的差不多。",
                "快递按时到了，物流没什么特别的。",
                "快递还行，物流信息可以更清楚一点。",
            ],
        ),
        "negative": (
            [
                "The delivery was late and the parcel was damaged.",
                "Waited two weeks for the delivery, terrible courier.",
                "My parcel delivery never arrived and nobody told me why.",
            ],
            [
                "快递太慢了，盒子还被压坏了。",
                "快递等了两个星期才到，物流太差了。",
                "快递一直没到，物流也没人告诉我原因。",
            ],
        ),
    },
    "product": {
        "positive": (
            [
                "Excellent product quality, exactly as described.",
                "I love the product, the quality is superb.",
                "Great quality materials and the product feels built to last.",
            ],
            [
                "产品质量非常好，和描述的一模一样。",
                "很喜欢这个产品，质量特别好。",
                "产品做工很好，质量感觉很耐用。",
            ],
        ),
        "neutral": (
            [
                "The product is fine, the quality is average.",
                "Product quality is what you would expect.",
                "The product is okay, a bit smaller than I expected.",
            ],
            ["产品还可以，质量一般。", "产品质量中规中矩。", "产品还行吧，比想象的小一点。"],
        ),
        "negative": (
            [
                "Poor product quality, it broke after two days.",
                "The product looks nothing like the pictures, awful quality.",
                "Cheap quality and the product stopped working quickly.",
            ],
            [
                "产品质量很差，用了两天就坏了。",
                "产品和图片完全不一样，质量太差。",
                "产品质量很廉价，很快就不能用了。",
            ],
        ),
    },
    "price": {
        "positive": (
            [
                "Great value for the price, happy with the deal.",
                "Good price and the discount was a nice surprise.",
                "Fair price and good value for money.",
            ],
            ["价格实惠，性价比很高。", "价格便宜，优惠券也很给力。", "这个价格很值，性价比高。"],
        ),
        "neutral": (
            [
                "The price is similar to other shops.",
                "The price is acceptable for the value.",
                "Not a cheap price, not an expensive one.",
            ],
            ["价格和别家差不多。", "价格可以接受，性价比一般。", "价格不算便宜也不算贵。"],
        ),
        "negative": (
            [
                "Far too high a price and I was charged twice.",
                "Hidden fees pushed the price up, I feel cheated.",
                "Wrong price on the bill and the refund is still missing.",
            ],
            [
                "价格太贵了，还被重复扣款。",
                "结账时价格有隐藏费用，感觉被骗了。",
                "账单价格错了，退款到现在还没收到。",
            ],
        ),
    },
    "service": {
        "positive": (
            [
                "The customer service team was friendly and solved my problem at once.",
                "Excellent customer service, very helpful staff.",
                "Quick and polite answer from the customer service team.",
            ],
            [
                "客服很热情，马上就帮我解决了问题。",
                "客服服务非常好，很有耐心。",
                "客服回复很快，服务态度很好。",
            ],
        ),
        "neutral": (
            [
                "Customer service answered eventually.",
                "The customer service was polite but it took a while.",
                "The customer service was acceptable.",
            ],
            ["客服最后还是回复了。", "客服服务态度还可以，就是有点慢。", "客服服务一般般。"],
        ),
        "negative": (
            [
                "Customer service was rude and useless.",
                "Nobody in customer service answered for a week, awful service.",
                "The customer service agent hung up on me, worst service ever.",
            ],
            [
                "客服态度很差，服务根本不解决问题。",
                "客服一个星期都没人回，服务太差了。",
                "客服直接挂我电话，服务太糟糕了。",
            ],
        ),
    },
    "app": {
        "positive": (
            [
                "The app is easy to use and the website checkout is smooth.",
                "Love the new app, finding things on the website is simple.",
                "Ordering in the app takes a minute, brilliant app.",
            ],
            [
                "应用很好用，网站结账很顺畅。",
                "新版应用很棒，网站找东西很方便。",
                "在应用里下单一分钟就好，应用太方便了。",
            ],
        ),
        "neutral": (
            [
                "The app works, the website search could be better.",
                "The app and the website are fine.",
                "Logging in to the app is a bit slow but it works.",
            ],
            ["应用能用，网站搜索可以再改进。", "应用和网站都还行。", "应用登录有点慢，不过能用。"],
        ),
        "negative": (
            [
                "The app keeps crashing and I cannot log in.",
                "The website is confusing and the app payment page failed.",
                "Locked out of the app again, the website is very frustrating.",
            ],
            [
                "应用老是闪退，登录不了。",
                "网站很难用，应用付款页面还出错。",
                "应用账号又被锁了，网站非常烦人。",
            ],
        ),
    },
}


def tone_of(nps: np.ndarray) -> np.ndarray:
    """The planted tone of a comment: promoters positive, detractors negative."""
    return np.where(nps >= 9, "positive", np.where(nps <= 6, "negative", "neutral"))


def comments(rng, nps: np.ndarray, ticket_category: pd.Series, contacts: pd.DataFrame):
    """Comments for survey answers (None where the customer wrote nothing) and their truth.

    ticket_category: the category of the answer's recent ticket (missing without one).
    contacts: the writer's ``name``, ``email`` and ``phone`` per answer, for the few comments
    that end with them. Returns (comments, truth frame: language, topic, tone, contact).
    """
    n = len(nps)
    wrote = rng.random(n) < COMMENT_SHARE
    chinese = rng.random(n) < CHINESE_SHARE
    topic = rng.choice(TOPICS, n)
    mapped = ticket_category.map(TOPIC_OF_TICKET).to_numpy()
    topic = np.where(pd.notna(mapped), mapped, topic)
    tone = tone_of(nps)
    pick = rng.integers(0, 3, n)
    contact = np.where(rng.random(n) < CONTACT_SHARE, rng.choice(["name", "phone", "email"], n), "")
    texts = []
    for i in range(n):
        if not wrote[i]:
            texts.append(None)
            continue
        english, chinese_sentences = SENTENCES[topic[i]][tone[i]]
        text = (chinese_sentences if chinese[i] else english)[pick[i]]
        if contact[i]:
            text += _signature(contacts.iloc[i], contact[i], chinese[i])
        texts.append(text)
    truth = pd.DataFrame(
        {
            "language": np.where(chinese, "zh", "en"),
            "topic": topic,
            "tone": tone,
            "contact": contact,
        }
    )
    return texts, truth.where(pd.DataFrame({c: wrote for c in truth.columns}))


def ticket_texts(rng, category: np.ndarray) -> list[str]:
    """What customers wrote when opening a ticket: about the ticket's topic, mostly
    complaints (70%), otherwise plain questions; a quarter in Chinese."""
    n = len(category)
    topic = pd.Series(category).map(TOPIC_OF_TICKET).fillna("service").to_numpy()
    tone = np.where(rng.random(n) < 0.7, "negative", "neutral")
    chinese = rng.random(n) < CHINESE_SHARE
    pick = rng.integers(0, 3, n)
    return [SENTENCES[topic[i]][tone[i]][1 if chinese[i] else 0][pick[i]] for i in range(n)]


def _signature(person: pd.Series, kind: str, chinese: bool) -> str:
    value = person[kind]
    if chinese:
        return {"name": f" —— {value}", "phone": f" 请回电 {value}", "email": f" 邮箱 {value}"}[
            kind
        ]
    return {"name": f" - {value}", "phone": f" Call me on {value}.", "email": f" Reply to {value}"}[
        kind
    ]
